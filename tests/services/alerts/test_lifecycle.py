from __future__ import annotations

from datetime import UTC, datetime

from services.aggregation.aggregate import metrics_message
from services.aggregation.windows import WindowState, bucket_of
from services.alerts.engine import AlertEngine
from services.alerts.events import AlertEvent, decode_event, encode_event
from services.alerts.lifecycle import AlertBook, manual_event, open_events
from services.alerts.rules import Condition
from tests.services.alerts.figures import NOW, add_minute

RESOLVE_AFTER_S = 600.0


def condition(severity: str = "warning", rule: str = "volume_spike", for_s: float = 0.0) -> Condition:
    return Condition(
        rule=rule,  # type: ignore[arg-type]
        watchlist="aerolis",
        severity=severity,  # type: ignore[arg-type]
        summary="aerolis: mentions at 40/min",
        for_s=for_s,
    )


SCOPE = ("aerolis", {"volume_spike"})


def run(book: AlertBook, timeline: list[tuple[float, bool]], severity: str = "warning") -> list[AlertEvent]:
    """Observe (t, condition true?) in order, ticking as the agent's timer does."""
    events: list[AlertEvent] = []
    for t, true in timeline:
        events += book.observe([condition(severity)] if true else [], t, clear_scope=SCOPE)
        events += book.tick(t)
    return events


def every(start: float, end: float, step_s: float = 5.0) -> list[float]:
    return [start + i * step_s for i in range(int((end - start) / step_s))]


def test_a_ten_minute_spike_of_real_metrics_fires_one_alert_and_resolves_once_after_it_clears() -> None:
    engine = AlertEngine(AlertBook(RESOLVE_AFTER_S), is_press=lambda _: False)
    state = WindowState()
    for minute in range(55):  # an hour's baseline at 10 mentions a minute
        add_minute(state, NOW - 3300 + 60 * minute, 10, pos=4, neg=2)
    events: list[AlertEvent] = []
    spike_end, quiet_end = NOW + 600, NOW + 2400
    t = NOW
    while t < quiet_end:
        per_min = 80 if t < spike_end else 10
        if t % 10 == 0:  # a 10-second bucket of mentions, then metrics every 5 s
            state.apply(
                {bucket_of(t): [per_min / 6, per_min / 12, per_min / 12, 0, 0.0]}, now_ts=t, grace_s=300
            )
        message = metrics_message("aerolis", state, t + 9)
        events += engine.on_metrics(message, t)
        events += engine.tick(t)
        t += 5

    spikes = [e for e in events if e.rule == "volume_spike"]
    assert len({e.alert_id for e in spikes}) == 1
    assert len({e.started_at for e in spikes}) == 1, "one episode"
    # Fired as a warning while the 5-minute window filled, announced once more when it became critical,
    # then silent while it lasted, resolved once.
    assert [(e.status, e.severity) for e in spikes] == [
        ("firing", "warning"),
        ("firing", "critical"),
        ("resolved", "critical"),
    ]
    assert spikes[1].event_id.endswith(":firing:critical")
    fired, resolved = spikes[0], spikes[-1]
    assert resolved.status == "resolved" and resolved.by is None
    assert NOW < fired.at.timestamp() < spike_end
    # It resolved once the condition had been clear for resolve_after_s, not before and not much later.
    assert resolved.details["clear_for_s"] >= RESOLVE_AFTER_S
    assert resolved.at.timestamp() - spike_end < RESOLVE_AFTER_S + 600


def test_pending_for_a_while_then_firing_and_a_short_blip_never_fires() -> None:
    book = AlertBook(RESOLVE_AFTER_S)
    blip = [(NOW + 0, True), (NOW + 5, True), (NOW + 10, False)]
    events = []
    for t, true in blip:
        events += book.observe([condition(for_s=60)] if true else [], t, clear_scope=SCOPE)
    assert events == []
    held = [book.observe([condition(for_s=60)], t, clear_scope=SCOPE) for t in every(NOW + 20, NOW + 90)]
    fired = [e for batch in held for e in batch]
    assert [e.status for e in fired] == ["firing"]
    assert fired[0].at.timestamp() == NOW + 80  # 60 s after it started to hold (at NOW + 20)


def test_a_flapping_condition_stays_one_episode() -> None:
    timeline = [(t, (t // 60) % 2 == 0) for t in every(NOW, NOW + 1200)]  # a minute on, a minute off
    events = run(AlertBook(RESOLVE_AFTER_S), timeline)
    assert [e.status for e in events] == ["firing"]


def test_acknowledged_alerts_stay_quiet_and_still_resolve_by_themselves() -> None:
    book = AlertBook(RESOLVE_AFTER_S)
    [fired] = run(book, [(NOW, True)])
    ack = manual_event(fired, "acknowledged", "ana", "on it", datetime.fromtimestamp(NOW + 30, UTC))
    book.apply(decode_event(encode_event(ack)), NOW + 30)
    assert book.status_of(fired.alert_id) == "acknowledged"
    assert run(book, [(t, True) for t in every(NOW + 35, NOW + 600)]) == []
    [resolved] = run(book, [(t, False) for t in every(NOW + 600, NOW + 1300)])
    assert resolved.status == "resolved" and resolved.started_at == fired.started_at
    assert resolved.event_id == f"{fired.alert_id}:{int(NOW)}:resolved"


def test_a_rise_to_critical_is_announced_once_and_keeps_an_acknowledgement() -> None:
    book = AlertBook(RESOLVE_AFTER_S)
    [fired] = run(book, [(NOW, True)], severity="warning")
    book.apply(
        manual_event(fired, "acknowledged", "ana", None, datetime.fromtimestamp(NOW + 1, UTC)), NOW + 1
    )
    raised = run(book, [(NOW + 5, True), (NOW + 10, True)], severity="critical")
    assert [(e.status, e.severity, e.event_id) for e in raised] == [
        ("acknowledged", "critical", f"{fired.alert_id}:{int(NOW)}:acknowledged:critical")
    ]
    assert run(book, [(NOW + 15, True)], severity="warning") == []  # severity never falls in an episode


def test_resolved_by_hand_it_does_not_fire_again_until_the_condition_clears() -> None:
    book = AlertBook(RESOLVE_AFTER_S)
    [fired] = run(book, [(NOW, True)])
    done = manual_event(fired, "resolved", "ana", "handled", datetime.fromtimestamp(NOW + 60, UTC))
    book.apply(done, NOW + 60)
    assert run(book, [(t, True) for t in every(NOW + 60, NOW + 900)]) == []
    assert run(book, [(NOW + 900, False)]) == []
    [again] = run(book, [(NOW + 905, True)])
    assert again.status == "firing" and again.alert_id == fired.alert_id
    assert again.started_at > fired.started_at, "a new episode"


def test_a_restarted_book_rebuilt_from_the_topic_does_not_announce_an_ongoing_alert_twice() -> None:
    first = AlertBook(RESOLVE_AFTER_S)
    published = run(first, [(NOW, True)])
    restarted = AlertBook(RESOLVE_AFTER_S)
    for event in published:
        restarted.apply(decode_event(encode_event(event)), NOW + 100)
    assert run(restarted, [(t, True) for t in every(NOW + 100, NOW + 400)]) == []
    # Its own echo changes nothing either.
    for event in published:
        first.apply(event, NOW + 5)
    assert run(first, [(NOW + 10, True)]) == []
    assert open_events(published) == published


def test_only_the_owner_resolves_and_resolved_alerts_are_forgotten() -> None:
    book = AlertBook(RESOLVE_AFTER_S, keep_resolved_s=3600)
    run(book, [(NOW, True)])
    assert book.tick(NOW + 700, owns=lambda watchlist: False) == []
    [resolved] = book.tick(NOW + 700, owns=lambda watchlist: watchlist == "aerolis")
    assert resolved.status == "resolved" and len(book) == 1
    book.tick(NOW + 700 + 3600)
    assert len(book) == 0


def test_the_book_is_bounded() -> None:
    book = AlertBook(RESOLVE_AFTER_S, max_alerts=10)
    for i in range(30):
        c = Condition(
            rule="negative_influencer", watchlist="aerolis", subject=f"@a{i}", severity="warning", summary="x"
        )
        book.observe([c], NOW + i)
        book.tick(NOW + i + RESOLVE_AFTER_S)  # each resolves before the next comes
    assert len(book) <= 10


def test_an_open_alert_restored_after_a_restart_resolves_with_the_reason_unless_it_still_holds() -> None:
    before = AlertBook(RESOLVE_AFTER_S)
    [fired] = before.observe([condition()], NOW, clear_scope=SCOPE)
    gone, still = AlertBook(RESOLVE_AFTER_S), AlertBook(RESOLVE_AFTER_S)
    restart = NOW + 3600  # the previous run's alert, back from the store an hour later
    for book in (gone, still):
        book.apply(decode_event(encode_event(fired)), restart)
        assert book.status_of(fired.alert_id) == "firing"
    # Its condition is not seen again: resolved after the usual clear period, saying why.
    assert gone.tick(restart + RESOLVE_AFTER_S - 5) == []
    [resolved] = gone.tick(restart + RESOLVE_AFTER_S + 1)
    assert (resolved.alert_id, resolved.status, resolved.started_at) == (
        fired.alert_id,
        "resolved",
        fired.started_at,
    )
    assert "after a restart" in resolved.details["reason"]
    # Still true: the same episode goes on, announced once only (no second firing event), and when it
    # clears later the reason is the ordinary one.
    assert still.observe([condition()], restart + 5, clear_scope=SCOPE) == []
    assert still.tick(restart + RESOLVE_AFTER_S + 1) == []
    [later] = still.tick(restart + 5 + RESOLVE_AFTER_S + 1)
    assert later.status == "resolved" and "has not held" in later.details["reason"]
