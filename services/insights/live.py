"""Insights: hashtag swarms, influencer boards and coordination over the enriched stream, as live messages.

`Insights` owns the three detectors (services/insights/swarms.py, influence.py, coordination.py) and an event
clock. `observe(batch)` folds in one enriched batch and returns the ids of mentions that became coordinated;
`corrections(ids, ...)` turns those into partial aggregates for the window state
(services/aggregation/windows.py: `coordinated` always goes up; `count` and the sentiment figures go down when
the setting `count_coordinated` is off); `messages(wall)` gives the websocket messages that are due
(api/websocket.md):
- `swarms` every `publish_interval_s` (a snapshot costs tens of milliseconds, so not on every batch);
- `influencers` of a watchlist at the same cadence when it had new mentions;
- `coordination` at the same cadence when mentions became coordinated since the last one;
and every board and the coordination state at least every `refresh_s` (automated accounts and finished
campaigns may lag by that much), so an api process that starts later (it warms up from the latest updates)
finds them. `messages` is a generator: each message is computed when the caller asks for the next one, so
an agent that sends each before asking for the next never blocks its event loop for more than one of them.

Corrections are idempotent like any partial: their source is (`correction_source(partition)`, offset of
the enriched record whose observation found them), a namespace of negative partitions that raw records
never use, so a replay of the same records is skipped by the aggregate.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator

import msgspec

from services.aggregation.windows import (
    COORD,
    COUNT,
    LABEL_INDEX,
    NEU,
    SCORE_SUM,
    Bucket,
    EventClock,
    bucket_of,
    empty_bucket,
)
from services.insights.coordination import CoordinationDetector
from services.insights.influence import InfluenceBoard
from services.insights.swarms import SwarmTracker
from services.settings import Settings
from services.understanding.enrich import EnrichedMention, Partial
from services.updates import Coordination, Influencers, Insight, Swarms

#: Largest swarms in a `swarms` message.
SWARMS_KEPT = 50
#: Rows of an `influencers` message: the best authors overall, and the best journalists and media.
INFLUENCERS_KEPT = 50
PRESS_KEPT = 20
#: Journalists and media are looked for among this many best ranks (rows cost; ranks below hardly matter).
PRESS_SEARCH_RANKS = 200
#: Boards and coordination are re-sent at least this often, changed or not.
REFRESH_S = 60.0
#: Mentions remembered to correct them once found coordinated: two coordination windows, at most this many.
MAX_REMEMBERED = 200_000


class _Seen(msgspec.Struct, frozen=True, gc=False):
    """What a correction needs to know of a mention the window state counted. Untracked by the garbage
    collector (it holds no container that could point back): the process remembers up to MAX_REMEMBERED,
    and a full collection walking them all stood the insights loop still for hundreds of milliseconds."""

    ts: float
    watchlists: tuple[str, ...]
    label_index: int
    score: float


def correction_source(partition: int) -> int:
    """The partition number corrections found on enriched `partition` are applied under (-1, -2, ...)."""
    return -1 - partition


class Insights:
    def __init__(
        self,
        swarms: SwarmTracker,
        influence: InfluenceBoard,
        coordination: CoordinationDetector,
        *,
        publish_interval_s: float = 5.0,
        count_coordinated: bool = True,
        refresh_s: float = REFRESH_S,
        clock: EventClock | None = None,
    ) -> None:
        self.swarms = swarms
        self.influence = influence
        self.coordination = coordination
        self.publish_interval_s = publish_interval_s
        self.count_coordinated = count_coordinated
        self.refresh_s = refresh_s
        self.clock = clock or EventClock()
        self._seen: OrderedDict[str, _Seen] = OrderedDict()
        self._watchlists: set[str] = set()
        self._changed: set[str] = set()
        self._last_publish = -float("inf")
        self._last_refresh = -float("inf")
        self._coordination_changed = False
        #: Coordinated mentions that could not be corrected (no longer remembered).
        self.uncorrected = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> Insights:
        return cls(
            SwarmTracker.from_settings(settings),
            InfluenceBoard.from_settings(settings),
            CoordinationDetector.from_settings(settings),
            publish_interval_s=settings.insights_publish_interval_s,
            count_coordinated=settings.count_coordinated,
        )

    # -- input ----------------------------------------------------------------------------------------

    def observe(self, batch: list[EnrichedMention], wall: float | None = None) -> list[str]:
        """Fold an enriched batch into the three detectors; return the ids of mentions that became
        coordinated with it (earlier mentions of the same campaign included)."""
        if not batch:
            return []
        seen = self._seen
        for item in batch:
            mention = item.mention
            watchlists = tuple(item.watchlists)
            seen[mention.id] = _Seen(
                mention.created_ts, watchlists, LABEL_INDEX.get(item.label, NEU), item.score
            )
            self._changed.update(watchlists)
        self._watchlists.update(self._changed)
        self.clock.observe_many((item.mention.created_ts for item in batch), wall)
        self.swarms.observe(batch)
        self.influence.observe(batch)
        newly = self.coordination.observe(batch)
        if newly:
            self._coordination_changed = True
        self._forget(self.clock.now(wall) - 2 * self.coordination.window_s)
        return newly

    def _forget(self, horizon_ts: float) -> None:
        seen = self._seen
        while seen:
            oldest = next(iter(seen.values()))
            if oldest.ts >= horizon_ts and len(seen) <= MAX_REMEMBERED:
                return
            seen.popitem(last=False)

    def corrections(self, mention_ids: Iterable[str], *, partition: int, offset: int) -> list[Partial]:
        """One partial per watchlist that moves the newly coordinated mentions into `coordinated` (and out
        of `count` and sentiment when they are not counted); sourced at (correction_source(partition),
        offset) of the enriched record that revealed them."""
        per_watchlist: dict[str, dict[int, Bucket]] = {}
        newest: dict[str, float] = {}
        for mention_id in mention_ids:
            seen = self._seen.get(mention_id)
            if seen is None:
                self.uncorrected += 1
                continue
            start = bucket_of(seen.ts)
            for watchlist_id in seen.watchlists:
                buckets = per_watchlist.setdefault(watchlist_id, {})
                bucket = buckets.get(start)
                if bucket is None:
                    bucket = buckets[start] = empty_bucket()
                bucket[COORD] += 1
                if not self.count_coordinated:
                    bucket[COUNT] -= 1
                    bucket[seen.label_index] -= 1
                    bucket[SCORE_SUM] -= seen.score
                newest[watchlist_id] = max(newest.get(watchlist_id, seen.ts), seen.ts)
        source = correction_source(partition)
        return [
            Partial(watchlist=w, partition=source, offset=offset, buckets=b, max_ts=newest[w])
            for w, b in per_watchlist.items()
        ]

    # -- output ---------------------------------------------------------------------------------------

    def swarms_message(self, now_ts: float) -> Swarms:
        swarms = self.swarms.snapshot(now_ts)
        return Swarms(now_ts=round(now_ts, 3), total=len(swarms), items=swarms[:SWARMS_KEPT])

    def influencers_message(self, watchlist_id: str, now_ts: float) -> Influencers:
        # One scoring pass (it costs far more than the rows): the best overall, and the best journalists
        # and media among the first PRESS_SEARCH_RANKS.
        rows = self.influence.board(watchlist_id, now_ts, max(PRESS_SEARCH_RANKS, INFLUENCERS_KEPT))
        press = [row for row in rows if row.journalist or row.media][:PRESS_KEPT]
        return Influencers(
            watchlist=watchlist_id, now_ts=round(now_ts, 3), items=rows[:INFLUENCERS_KEPT], press=press
        )

    def coordination_message(self, now_ts: float) -> Coordination:
        snapshot = self.coordination.snapshot(now_ts)
        return Coordination(
            now_ts=round(now_ts, 3),
            clusters=snapshot.clusters,
            accounts=snapshot.automated,
            coordinated_mentions=snapshot.coordinated_mentions,
        )

    def messages(self, wall: float | None = None) -> Iterator[tuple[str, Insight]]:
        """The messages due at `wall` (seconds, wall clock), each with its Kafka key; none between ticks."""
        wall = time.time() if wall is None else wall
        if wall - self._last_publish < self.publish_interval_s:
            return
        self._last_publish = wall
        refresh = wall - self._last_refresh >= self.refresh_s
        if refresh:
            self._last_refresh = wall
        now_ts = self.clock.now(wall)
        changed = sorted(self._watchlists if refresh else self._changed)
        self._changed.clear()
        coordination = refresh or self._coordination_changed
        self._coordination_changed = False
        yield "swarms", self.swarms_message(now_ts)
        for watchlist_id in changed:
            yield watchlist_id, self.influencers_message(watchlist_id, now_ts)
        if coordination:
            yield "coordination", self.coordination_message(now_ts)

    @property
    def tracked(self) -> dict[str, int]:
        """Sizes of the kept state, to check its bounds."""
        return {
            "remembered": len(self._seen),
            "watchlists": len(self._watchlists),
            **{f"swarms.{k}": v for k, v in self.swarms.tracked.items()},
            **{f"coordination.{k}": v for k, v in self.coordination.tracked.items()},
            "influence.authors": self.influence.tracked["authors"],
        }
