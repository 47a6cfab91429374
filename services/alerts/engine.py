"""The rule engine of a worker: per-watchlist rules, the alert book, and what the alerts agent feeds them.

Rules travel on `vigie.config` as `rules:<watchlist id>` (the rule set as JSON; empty = back to defaults),
published by the api from the database like watchlists. A watchlist without a record uses `DEFAULT_RULES`.
The watchlist records on the same topic give each watchlist's own handles (its official accounts).
Bad input (an unreadable config record, metrics message or event) is logged and skipped, never raised.

What the engine adds to the pure rules (services/alerts/rules.py):
- when each watchlist has been watched since (`watched_since`): its creation (from its config record) or
  the start of the stream this engine sees (the oldest mention any watchlist's windows hold), whichever is
  later. The spike rule counts the minutes since then without mentions as zeros (a quiet watchlist) and
  knows nothing of the time before (a fresh stream is not a spike);
- the negative posts of high-reach authors and the press, kept per watchlist for
  `NEGATIVE_POSTS_WINDOW_S`: one alert per watchlist lists the most reached (`NegativePosts`);
- the tone of a coordinated campaign's text (`is_negative`), so promotion spam is not a crisis.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol

import msgspec

from services.aggregation.windows import BUCKET_S
from services.alerts.drivers import Drivers
from services.alerts.events import SEVERITY_RANK, AlertEvent, decode_event
from services.alerts.lifecycle import AlertBook
from services.alerts.rules import (
    DEFAULT_RULES,
    METRIC_RULES,
    NEGATIVE_POSTS_WINDOW_S,
    Condition,
    IsPress,
    RuleSet,
    coordination_conditions,
    describe_post,
    evaluate_metrics,
    evaluate_negative_influencer,
    parse_metrics,
    swarm_conditions,
)
from services.insights.coordination import CoordinatedCluster
from services.insights.swarms import Swarm
from services.runtime.config_feed import WATCHLIST_PREFIX
from services.understanding.enrich import EnrichedMention
from services.understanding.watchlists import Watchlist
from services.updates import Coordination, Metrics, Swarms, Update, decode_update

log = logging.getLogger(__name__)

RULES_PREFIX = "rules:"
_rules_decoder = msgspec.json.Decoder(RuleSet)
_watchlist_decoder = msgspec.json.Decoder(Watchlist)


def rules_record(watchlist: str, rules: RuleSet | None) -> tuple[bytes, bytes]:
    """The config record of a watchlist's rules; None = back to the defaults."""
    return f"{RULES_PREFIX}{watchlist}".encode(), msgspec.json.encode(rules) if rules is not None else b""


class Producer(Protocol):
    """What publishing needs of a Kafka producer (aiokafka's AIOKafkaProducer fits): `send` queues a record
    and returns what resolves once the broker has it."""

    async def send(self, topic: str, value: bytes, key: bytes) -> Awaitable[object]: ...


async def publish_rules(producer: Producer, topic: str, rules: Mapping[str, RuleSet | None]) -> None:
    records = [rules_record(watchlist, rule_set) for watchlist, rule_set in rules.items()]
    futures = [await producer.send(topic, value, key=key) for key, value in records]
    await asyncio.gather(*futures)


#: A coordinated campaign whose last post is older than this is over (its alert resolves in due course).
CAMPAIGN_ACTIVE_S = 120.0
#: Negative posts an alert lists.
POSTS_LISTED = 5


class NegativePosts:
    """The negative posts by high-reach authors or the press of each watchlist over `window_s`."""

    def __init__(self, window_s: float = NEGATIVE_POSTS_WINDOW_S, max_kept: int = 200) -> None:
        self.window_s = window_s
        self.max_kept = max_kept
        self._posts: dict[str, dict[str, dict[str, Any]]] = {}

    def top(self, watchlist: str) -> list[dict[str, Any]]:
        """The most reached negative posts of the watchlist kept now."""
        posts = self._posts.get(watchlist, {})
        return sorted(posts.values(), key=lambda post: -int(post["followers"]))[:POSTS_LISTED]

    def add(self, condition: Condition, now_ts: float) -> Condition:
        """Fold the post of a per-post condition in; return the watchlist's condition listing the most
        reached posts of the window (the highest severity of them)."""
        posts = self._posts.setdefault(condition.watchlist, {})
        for post in condition.details.get("posts", []):
            posts[str(post["mention_id"])] = {**post, "severity": condition.severity}
        # The window ends at the newest post (event time: a replay of older mentions keeps its posts).
        times = {key: float(post.get("at") or now_ts) for key, post in posts.items()}
        horizon = max(times.values()) - self.window_s
        for key in [key for key, at in times.items() if at < horizon]:
            del posts[key]
        ranked = sorted(posts.values(), key=lambda post: -int(post["followers"]))
        del ranked[self.max_kept :]
        self._posts[condition.watchlist] = {str(post["mention_id"]): post for post in ranked}
        top = ranked[0]
        severity = max((post["severity"] for post in ranked), key=lambda s: SEVERITY_RANK[s])
        minutes = round(self.window_s / 60)
        summary = (
            f"{condition.watchlist}: {len(ranked)} negative post(s) by high-reach authors or the press in "
            f"{minutes} min; the most reached: {describe_post(top)}"
        )
        listed = [{k: v for k, v in post.items() if k != "severity"} for post in ranked[:POSTS_LISTED]]
        return msgspec.structs.replace(
            condition, severity=severity, summary=summary, details={"posts": listed, "count": len(ranked)}
        )


class AlertEngine:
    def __init__(
        self, book: AlertBook, is_press: IsPress, is_negative: Callable[[str], bool] | None = None
    ) -> None:
        self.book = book
        self.is_press = is_press
        #: Whether a text is negative (a coordinated campaign's); None: every campaign counts as negative.
        self.is_negative = is_negative
        self.rules: dict[str, RuleSet] = {}
        #: The watchlists' own accounts (lower case), from their `handles`.
        self.handles: dict[str, frozenset[str]] = {}
        #: When each watchlist was created (epoch s), from its config record.
        self.created: dict[str, float] = {}
        #: The oldest mention time the windows of any watchlist hold (the stream this engine sees).
        self.stream_since_ts: float | None = None
        #: The oldest mention time each watchlist's windows hold.
        self.data_since: dict[str, float] = {}
        self.negative_posts = NegativePosts()
        self.drivers = Drivers()
        self._campaign_tones: dict[str, bool] = {}
        self.skipped = 0

    def _negative_campaign(self, cluster_id: str, example: str) -> bool:
        """Whether a campaign's text is negative, judged once per cluster (its example barely changes)."""
        if self.is_negative is None:
            return True
        known = self._campaign_tones.get(cluster_id)
        if known is None:
            if len(self._campaign_tones) >= 10_000:
                self._campaign_tones.clear()
            known = self._campaign_tones[cluster_id] = self.is_negative(example)
        return known

    def watched_since(self, watchlist: str, now_ts: float) -> float | None:
        """Since when the watchlist's minutes without mentions are real zeros (see the module docstring).
        A creation after `now_ts` (the stream's event time: a replay of older data) does not count, nor
        does one after the watchlist's oldest mention (a backfill)."""
        if self.stream_since_ts is None:
            return None
        created = self.created.get(watchlist)
        if created is None or created > now_ts:
            return self.stream_since_ts
        # Mentions older than the watchlist (a backfill) are history too.
        own = self.data_since.get(watchlist)
        return max(self.stream_since_ts, min(created, own) if own is not None else created)

    def rules_of(self, watchlist: str) -> RuleSet:
        return self.rules.get(watchlist, DEFAULT_RULES)

    def own_handles(self, watchlist: str) -> frozenset[str]:
        return self.handles.get(watchlist, frozenset())

    def apply_config(self, key: bytes | None, value: bytes | None) -> None:
        """A record of `vigie.config`: rules, and watchlists for their own accounts' handles."""
        name = (key or b"").decode("utf-8", "replace")
        if name.startswith(WATCHLIST_PREFIX):
            self._apply_watchlist(name.removeprefix(WATCHLIST_PREFIX), value)
        if not name.startswith(RULES_PREFIX):
            return
        watchlist = name.removeprefix(RULES_PREFIX)
        if not value:
            self.rules.pop(watchlist, None)
            return
        try:
            self.rules[watchlist] = _rules_decoder.decode(value)
        except msgspec.DecodeError as error:
            log.error("ignoring unreadable rules record %s (keeping the previous rules): %s", name, error)

    def _apply_watchlist(self, watchlist_id: str, value: bytes | None) -> None:
        if not value:
            self.handles.pop(watchlist_id, None)
            self.created.pop(watchlist_id, None)
            self.data_since.pop(watchlist_id, None)
            return
        try:
            watchlist = _watchlist_decoder.decode(value)
        except msgspec.DecodeError:
            return  # the config feed logs unreadable watchlists
        self.handles[watchlist_id] = frozenset(h.lstrip("@").lower() for h in watchlist.handles)
        self.created[watchlist_id] = watchlist.created_at.timestamp()

    def apply_alert(self, value: bytes | None, now_ts: float) -> None:
        """Fold a record of `vigie.alerts` into the book."""
        try:
            event = decode_event(value or b"")
        except msgspec.DecodeError as error:
            self.skipped += 1
            log.error("ignoring unreadable alert event: %s", error)
            return
        self.book.apply(event, now_ts)

    def on_update_record(self, value: bytes | None, now_ts: float) -> list[AlertEvent]:
        """A record of the updates topic (the alerts agent's stream), decoded once (services/updates.py); one
        the protocol does not describe is counted in `skipped` (the hub logs it) and moves nothing."""
        try:
            update = decode_update(value or b"")
        except msgspec.DecodeError:
            self.skipped += 1
            return []
        return self.on_update(update, now_ts)

    def on_update(self, update: Update, now_ts: float) -> list[AlertEvent]:
        """A message of the updates topic (the alerts agent's stream): metrics feed the metric rules, swarms
        and coordination the insight rules; the other kinds move no alert."""
        match update:
            case Metrics():
                return self.on_metrics(update, now_ts)
            case Swarms() | Coordination():
                return self.on_insights(update, now_ts)
        return []

    def on_metrics(self, message: Metrics, now_ts: float) -> list[AlertEvent]:
        try:
            metrics = parse_metrics(message)
        except msgspec.ValidationError as error:
            self.skipped += 1
            log.error("ignoring a metrics message the rules cannot read: %s", error)
            return []
        if metrics.since_ts is not None:
            # The oldest bucket may hold only its last seconds: history starts where it ends.
            since = metrics.since_ts + BUCKET_S
            if self.stream_since_ts is None or since < self.stream_since_ts:
                self.stream_since_ts = since
            self.data_since[metrics.watchlist] = since
        watchlist = metrics.watchlist
        recent = metrics.windows.get("5m")
        if recent is not None and recent.count:
            self.drivers.set_coordinated_share(watchlist, recent.coordinated / recent.count)
        conditions = evaluate_metrics(
            metrics, self.rules_of(watchlist), self.watched_since(watchlist, metrics.now_ts)
        )
        events = self.book.observe(conditions, now_ts, clear_scope=(metrics.watchlist, METRIC_RULES))
        return self.explain(events, now_ts)

    def on_mentions(self, items: Iterable[EnrichedMention], now_ts: float) -> list[AlertEvent]:
        latest: dict[str, Condition] = {}
        for item in items:
            mention = item.mention
            if mention.hashtags:
                self.drivers.add_hashtags(item.watchlists, mention.created_ts, mention.hashtags)
            self.drivers.add_text(item.watchlists, mention.created_ts, mention.text, mention.hashtags or ())
            for condition in evaluate_negative_influencer(
                item, self.rules_of, self.is_press, self.own_handles
            ):
                latest[condition.watchlist] = self.negative_posts.add(condition, now_ts)
        return self.explain(self.book.observe(latest.values(), now_ts), now_ts) if latest else []

    def on_insights(self, message: Swarms | Coordination, now_ts: float) -> list[AlertEvent]:
        """A `swarms` or `coordination` message of the insights stage: swarms and campaigns touching a
        watchlist. Each is one alert per swarm or cluster id; it resolves once no message has shown it for
        the resolve delay."""
        conditions: list[Condition] = []
        if isinstance(message, Swarms):
            self.drivers.set_swarms(_per_watchlist([(s.watchlists, _swarm_driver(s)) for s in message.items]))
            for swarm in message.items:
                conditions += swarm_conditions(
                    swarm.id,
                    swarm.tags,
                    swarm.state,
                    swarm.watchlists,
                    self.rules_of,
                    authors=swarm.authors,
                    sentiment=swarm.sentiment,
                )
        else:
            clusters = message.clusters
            self.drivers.set_campaigns(
                _per_watchlist([(c.watchlists, _campaign_driver(c)) for c in clusters])
            )
            for cluster in clusters:
                if message.now_ts - cluster.last_seen_ts > CAMPAIGN_ACTIVE_S:
                    continue  # finished campaigns stay listed for an hour; the alert is about live ones
                conditions += coordination_conditions(
                    cluster.id,
                    cluster.account_count,
                    cluster.watchlists,
                    self.rules_of,
                    example=cluster.example,
                    negative=self._negative_campaign(cluster.id, cluster.example),
                )
        return self.explain(self.book.observe(conditions, now_ts), now_ts) if conditions else []

    def explain(self, events: list[AlertEvent], now_ts: float) -> list[AlertEvent]:
        """Set `details["why"]` (services/alerts/drivers.py) on the events that fire or rise."""
        for event in events:
            if event.status != "resolved":
                posts = self.negative_posts.top(event.watchlist)
                event.details["why"] = self.drivers.why(event.watchlist, now_ts, posts)
        return events

    def observe(self, conditions: Iterable[Condition], now_ts: float) -> list[AlertEvent]:
        """Sightings from other stages (swarms, coordination: see rules.swarm_conditions)."""
        return self.book.observe(conditions, now_ts)

    def tick(self, now_ts: float, owns: Callable[[str], bool] = lambda watchlist: True) -> list[AlertEvent]:
        return self.book.tick(now_ts, owns)


def _per_watchlist(items: list[tuple[Mapping[str, int], dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The drivers of a swarms or coordination message (each with its mentions per watchlist) by the
    watchlists they touch, largest share first."""
    found: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for watchlists, driver in items:
        for watchlist, mentions in watchlists.items():
            found.setdefault(watchlist, []).append((mentions, driver))
    return {w: [d for _, d in sorted(pairs, key=lambda p: -p[0])] for w, pairs in found.items()}


def _swarm_driver(swarm: Swarm) -> dict[str, Any]:
    return {"id": swarm.id, "tags": swarm.tags[:5], "state": swarm.state, "authors": swarm.authors}


def _campaign_driver(cluster: CoordinatedCluster) -> dict[str, Any]:
    return {"id": cluster.id, "accounts": cluster.account_count, "example": cluster.example[:200]}
