"""The aggregate stage: partial aggregates in, per-watchlist window state and metrics messages out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from services.aggregation.windows import EventClock, WindowState, minute_series, share_of_voice, window_stats
from services.understanding.enrich import Partial
from services.updates import Metrics

_state_decoder = msgspec.msgpack.Decoder(WindowState)
_state_encoder = msgspec.msgpack.Encoder()
_partials_decoder = msgspec.json.Decoder(Partial | list[Partial])


def decode_partials(value: bytes | None) -> list[Partial]:
    """A record of the partials topic: a JSON array of partials (the enrich agent packs those of a batch of
    raw records for one watchlist) or one partial (the insights agent's corrections). Raises
    msgspec.DecodeError (or ValidationError) saying what did not fit."""
    decoded = _partials_decoder.decode(value or b"")
    return decoded if isinstance(decoded, list) else [decoded]


def decode_state(value: bytes | None) -> WindowState:
    return _state_decoder.decode(value) if value else WindowState()


def encode_state(state: WindowState) -> bytes:
    return _state_encoder.encode(state)


class DecodedStates:
    """Each key's window state as last written, kept decoded beside the table's bytes: decoding an hour of
    buckets costs more than applying a batch's partials. A kept state stands for the table's value only
    while the table holds the very bytes written with it; any other value (restored from the changelog
    after a rebalance or a restart) is decoded."""

    def __init__(self) -> None:
        self._kept: dict[bytes, tuple[bytes, WindowState]] = {}

    def read(self, key: bytes, value: bytes) -> WindowState:
        """The state `value` encodes, to read only (it may be the kept object)."""
        kept = self._kept.get(key)
        return kept[1] if kept is not None and kept[0] is value else decode_state(value)

    def take(self, key: bytes, value: bytes) -> WindowState:
        """The state `value` encodes, to change: no longer kept until `keep` says what was written."""
        kept = self._kept.pop(key, None)
        return kept[1] if kept is not None and kept[0] is value else decode_state(value)

    def keep(self, key: bytes, value: bytes, state: WindowState) -> None:
        """`value` (the table's value of `key`) is `state` encoded."""
        self._kept[key] = (value, state)


def for_watchlist(
    state: WindowState, partials: list[Partial], created_ts: float | None
) -> tuple[WindowState, list[Partial]]:
    """The state to count on, and the partials to count, for the latest watchlist of this id: the one
    created at `created_ts` (as the configuration says; None when it does not know it) or at the newest
    creation time the partials carry, whichever is later. A state of an earlier watchlist of the same id
    (deleted, then created again) gives way to an empty one, and partials of the earlier one still on their
    way are left out; a state from before creation times were kept takes the latest as its own."""
    known = [ts for ts in (created_ts, *(p.created_ts for p in partials)) if ts is not None]
    if known:
        latest = max(known)
        if state.created_ts is None:
            state.created_ts = latest
        elif latest > state.created_ts:
            state = WindowState(created_ts=latest)
    since = state.created_ts
    if since is None:
        return state, partials
    return state, [p for p in partials if p.created_ts is None or p.created_ts >= since]


def apply_partial(state: WindowState, partial: Partial, clock: EventClock, grace_s: float) -> bool:
    """Fold a partial into the state; False (state untouched) when that raw record was applied before."""
    if state.already_applied(partial.partition, partial.offset):
        return False
    clock.observe(partial.max_ts)
    state.apply(partial.buckets, now_ts=clock.now(), grace_s=grace_s)
    state.mark_applied(partial.partition, partial.offset)
    return True


def apply_partials(
    state: WindowState, partials: Iterable[Partial], clock: EventClock, grace_s: float
) -> list[Partial]:
    """Fold partials into the state in order, each once (`apply_partial`); return those applied. The
    aggregate agent reads and writes a watchlist's state once for all the partials of a batch."""
    return [partial for partial in partials if apply_partial(state, partial, clock, grace_s)]


def metrics_message(
    watchlist_id: str, state: WindowState, now_ts: float, count_coordinated: bool = True
) -> Metrics:
    """The `metrics` message of the updates protocol, without share of voice (the api adds it);
    `count_coordinated` is the setting that decides whether `count` includes coordinated mentions."""
    return Metrics(
        watchlist=watchlist_id,
        now_ts=round(now_ts, 3),
        windows=window_stats(state, now_ts, count_coordinated),
        series=minute_series(state, now_ts),
        late=state.late,
        total=int(state.total[0]),
        since_ts=min((start for start, bucket in state.buckets.items() if bucket[0] > 0), default=None),
        coordinated_counted=count_coordinated,
    )


class PublishThrottle:
    """Publish a key at once if it was quiet for `interval_s`, else once at the end of the interval."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._last: dict[str, float] = {}
        self._pending: set[str] = set()

    def changed(self, key: str, now: float) -> bool:
        """Record a change; True when it should be published right now."""
        if now - self._last.get(key, -1e18) >= self.interval_s:
            self._last[key] = now
            self._pending.discard(key)
            return True
        self._pending.add(key)
        return False

    def due(self, now: float) -> list[str]:
        """Keys with a change not yet published whose interval has passed."""
        ready = [key for key in self._pending if now - self._last.get(key, -1e18) >= self.interval_s]
        for key in ready:
            self._pending.discard(key)
            self._last[key] = now
        return ready

    def forget(self, key: str) -> None:
        self._last.pop(key, None)
        self._pending.discard(key)


def with_share_of_voice(
    message: Metrics, latest: Mapping[str, Metrics], groups: Mapping[str, str]
) -> Metrics:
    """Set `share` in each window of a metrics message, among the watchlists of the same group."""
    watchlist_id = message.watchlist
    group = groups.get(watchlist_id)
    peers = [w for w, g in groups.items() if g == group] if group is not None else [watchlist_id]
    for name, stats in message.windows.items():
        counts = {peer: _count(message if peer == watchlist_id else latest.get(peer), name) for peer in peers}
        stats.share = share_of_voice(counts)[watchlist_id]
    return message


def _count(message: Metrics | None, window: str) -> int:
    stats = message.windows.get(window) if message is not None else None
    return stats.count if stats is not None else 0
