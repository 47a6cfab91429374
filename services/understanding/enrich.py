"""The enrich stage: raw Kafka records (each a batch of mentions) in, everything downstream needs out.

The agent takes raw records in batches (as many as arrived within a few milliseconds, one when traffic is
quiet) and enriches them together: language detection and sentiment run once per batch, not once per
record, while what makes a record's effect idempotent stays per record.

For each raw record: validate every mention (bad ones become dead letters with their reason, the others go
on), drop ids already seen, set each mention's language, match watchlists, score sentiment with the watched
terms masked, then fold the record into one partial aggregate per watchlist (never one record per mention,
and marked with the record's partition and offset), plus enriched mentions and a throttled sample for the
live ticker.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

import msgspec

from services.aggregation.windows import LABEL_INDEX, SCORE_SUM, Bucket, bucket_of, empty_bucket
from services.ingest.dedupe import PartitionIds
from services.ingest.records import Mention, MentionError, decode_raw_mentions, parse_mention
from services.understanding.language import UNDETERMINED, detect_batch
from services.understanding.matching import CompiledWatchlists
from services.understanding.sentiment import Scorer
from services.understanding.text import tokens

MAX_DEAD_PAYLOAD_CHARS = 65_536


class Partial(msgspec.Struct, kw_only=True):
    """One raw record's contribution to one watchlist's windows; (partition, offset) make it idempotent."""

    v: int = 1
    watchlist: str
    partition: int
    offset: int
    buckets: dict[int, Bucket]
    max_ts: float
    #: When the watchlist was created, for partials of mentions it matched (corrections and coordination
    #: carry None): the aggregate tells a watchlist deleted and created again under its id from the earlier
    #: one (services/aggregation/aggregate.py `for_watchlist`).
    created_ts: float | None = None


class DeadLetter(msgspec.Struct, kw_only=True):
    v: int = 1
    reason: str
    field: str
    topic: str
    partition: int
    offset: int
    index: int | None
    payload: str
    at: str


class EnrichedMention(msgspec.Struct, kw_only=True):
    """A mention as later stages see it: the record plus language, sentiment and matched watchlists."""

    mention: Mention
    watchlists: list[str]
    score: float
    label: str


_enriched_decoder = msgspec.json.Decoder(list[EnrichedMention])


def decode_enriched(value: bytes) -> list[EnrichedMention]:
    """A record of `vigie.mentions.enriched` (a JSON list of enriched mentions); msgspec.DecodeError
    (ValidationError) saying what did not fit."""
    return _enriched_decoder.decode(value)


class EnrichResult(msgspec.Struct, kw_only=True):
    """What one raw record (at `partition`, `offset`) gave."""

    partials: list[Partial]
    enriched: list[EnrichedMention]
    dead: list[DeadLetter]
    ticker: list[MentionItem]
    accepted: int = 0
    duplicates: int = 0
    unmatched: int = 0
    partition: int = -1
    offset: int = -1


class RawRecord(NamedTuple):
    value: bytes | None
    partition: int
    offset: int


class BatchResult(NamedTuple):
    #: One result per raw record, in the order they were admitted.
    records: list[EnrichResult]
    #: The ticker sample of the whole batch (`mentions` items of the websocket protocol).
    ticker: list[MentionItem]


class EnrichBatch:
    """Raw records validated and deduplicated in order (`Enricher.admit`), waiting to be enriched together
    (`Enricher.finish`)."""

    def __init__(self, wall: float) -> None:
        self.wall = wall
        self.received_at = datetime.fromtimestamp(wall, UTC)
        self.results: list[EnrichResult] = []
        #: The mentions of each record that passed validation and dedupe, parallel to `results`.
        self.accepted: list[list[Mention]] = []
        self._mentions = 0

    def __len__(self) -> int:
        return len(self.results)

    @property
    def mentions(self) -> int:
        """Mentions admitted so far (those `finish` will enrich)."""
        return self._mentions

    def add(self, result: EnrichResult, accepted: list[Mention]) -> None:
        self.results.append(result)
        self.accepted.append(accepted)
        self._mentions += len(accepted)


class ItemAuthor(msgspec.Struct):
    handle: str
    name: str | None
    followers: int


class ItemSentiment(msgspec.Struct, omit_defaults=True):
    """A mention's sentiment; `correction` (services/understanding/corrections.py `Correction.to_item`) only
    once a person set the label."""

    score: float
    label: str
    correction: dict[str, Any] | None = None


class MentionItem(msgspec.Struct, kw_only=True):
    """The `<mention item>` of the updates protocol (services/updates.py, api/websocket.md): a ticker item."""

    id: str
    watchlists: list[str]
    text: str
    source: str
    author: ItemAuthor
    created_at: str | None
    lang: str | None
    url: str | None
    hashtags: list[str]
    sentiment: ItemSentiment
    #: How many other mentions of its watchlists arrived since the previous item and are not shown.
    more: int = 0


def ticker_item(item: EnrichedMention, more: int = 0) -> MentionItem:
    """The ticker item of an enriched mention; `more`: how many other mentions of its watchlists arrived
    since the last one the ticker got, and are not shown."""
    mention = item.mention
    return MentionItem(
        id=mention.id,
        watchlists=item.watchlists,
        text=mention.text,
        source=mention.source,
        author=ItemAuthor(mention.author.handle, mention.author.name, mention.author.followers),
        created_at=mention.created_at.isoformat() if mention.created_at else None,
        lang=mention.lang,
        url=mention.url,
        hashtags=mention.hashtags or [],
        sentiment=ItemSentiment(round(item.score, 3), item.label),
        more=more,
    )


class TickerSampler:
    """Lets through at most one mention per watchlist per `interval_s`, so the wall's ticker stays
    readable: the most-reached (most followers; the latest among equals) of those that arrived since the
    previous one, with the count of the others, which are not shown (the wall says `+18 more`). A mention
    held back is shown once its watchlist is due: with the next batch, or by `sample([], now)` on a timer."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._last: dict[str, float] = {}
        self._unshown: dict[str, int] = {}
        #: The most-reached mention of each watchlist not shown yet: (followers, arrival, mention).
        self._best: dict[str, tuple[int, int, EnrichedMention]] = {}
        self._arrivals = 0

    def sample(self, items: list[EnrichedMention], wall: float) -> list[tuple[EnrichedMention, int]]:
        """The mentions to show, in arrival order, each with how many others it stands for."""
        for item in items:
            self._arrivals += 1
            reach = item.mention.author.followers or 0
            for watchlist_id in item.watchlists:
                self._unshown[watchlist_id] = self._unshown.get(watchlist_id, 0) + 1
                held = self._best.get(watchlist_id)
                if held is None or reach >= held[0]:
                    self._best[watchlist_id] = (reach, self._arrivals, item)
        chosen: dict[int, tuple[EnrichedMention, int]] = {}  # arrival -> (mention, more)
        for watchlist_id in sorted(self._best, key=lambda w: -self._best[w][0]):
            if watchlist_id not in self._best:  # shown meanwhile with another watchlist's mention
                continue
            if wall - self._last.get(watchlist_id, -1e18) < self.interval_s:
                continue
            _, arrival, item = self._best[watchlist_id]
            more = max(self._unshown.get(w, 0) for w in item.watchlists) - 1
            for shown_for in item.watchlists:
                self._last[shown_for] = wall
                self._unshown[shown_for] = 0
                self._best.pop(shown_for, None)
            chosen[arrival] = (item, max(0, more))
        return [chosen[arrival] for arrival in sorted(chosen)]


def set_languages(mentions: list[Mention]) -> None:
    """Give every mention a language before matching (`lang:` queries) and scoring: the source's own tag
    when it is a valid code ('en-US' -> 'en'), else detected from the text in one batch; None when unsure."""
    if mentions:
        langs = detect_batch([m.text for m in mentions], [m.lang for m in mentions])
        for mention, lang in zip(mentions, langs, strict=True):
            mention.lang = None if lang == UNDETERMINED else lang


class Enricher:
    def __init__(
        self,
        matcher: CompiledWatchlists,
        scorer: Scorer,
        seen: PartitionIds,
        ticker: TickerSampler,
        topic: str,
    ) -> None:
        self.matcher = matcher
        self.scorer = scorer
        self.seen = seen
        self.ticker = ticker
        self.topic = topic

    def _created_ts(self, watchlist_id: str) -> float | None:
        watchlist = self.matcher.watchlists.get(watchlist_id)
        return watchlist.created_at.timestamp() if watchlist is not None else None

    def _dead(
        self, error: MentionError, partition: int, offset: int, index: int | None, payload: Any
    ) -> DeadLetter:
        text = (
            payload.decode("utf-8", "replace")
            if isinstance(payload, bytes)
            else msgspec.json.encode(payload).decode()
        )
        return DeadLetter(
            reason=error.reason,
            field=error.field,
            topic=self.topic,
            partition=partition,
            offset=offset,
            index=index,
            payload=text[:MAX_DEAD_PAYLOAD_CHARS],
            at=datetime.now(UTC).isoformat(),
        )

    def restore_start(self, partition: int, offset: int) -> int | None:
        """Where the records to read again before processing `offset` begin (`PartitionIds`); None when
        the dedupe memory of `partition` already ends right before it."""
        return self.seen.restore_start(partition, offset)

    def restore(self, partition: int, offset: int, earlier: list[bytes | None]) -> int:
        """Rebuild the dedupe memory of `partition` from `earlier`, the raw records just before `offset`;
        return how many mention ids it now holds."""
        ids = [m.id for value in earlier for m in self._valid_mentions(value)]
        self.seen.restore(partition, offset, ids)
        return len(ids)

    @staticmethod
    def _valid_mentions(value: bytes | None) -> list[Mention]:
        """The mentions of a raw record that pass validation (those `process` would dedupe)."""
        try:
            objects = decode_raw_mentions(value)
        except MentionError:
            return []
        mentions = []
        for obj in objects:
            try:
                mentions.append(parse_mention(obj))
            except MentionError:
                continue
        return mentions

    def held_ticker(self, wall: float | None = None) -> list[MentionItem]:
        """The ticker items held back by the sampler that are due now (called on a timer, so the last
        mentions of a burst are shown, or counted, without waiting for the next one)."""
        wall = time.time() if wall is None else wall
        return [ticker_item(item, more) for item, more in self.ticker.sample([], wall)]

    def begin(self, wall: float | None = None) -> EnrichBatch:
        """An empty batch; `admit` raw records into it in partition order, then `finish` it."""
        return EnrichBatch(time.time() if wall is None else wall)

    def admit(self, batch: EnrichBatch, value: bytes | None, partition: int, offset: int) -> None:
        """Validate the raw record and drop the ids already seen, now (the dedupe memory moves on, so a
        restore for a later record, `restore_start`, sees this one); the rest waits for `finish`."""
        result = EnrichResult(
            partials=[], enriched=[], dead=[], ticker=[], partition=partition, offset=offset
        )
        self.seen.processing(partition, offset)
        accepted: list[Mention] = []
        try:
            objects = decode_raw_mentions(value)
        except MentionError as error:
            result.dead.append(self._dead(error, partition, offset, None, value or b""))
            batch.add(result, accepted)
            return
        for index, obj in enumerate(objects):
            try:
                mention = parse_mention(obj, received_at=batch.received_at)
            except MentionError as error:
                result.dead.append(self._dead(error, partition, offset, index, obj))
                continue
            if not self.seen.add(partition, mention.id):
                result.duplicates += 1
                continue
            accepted.append(mention)
        result.accepted = len(accepted)
        batch.add(result, accepted)

    def finish(self, batch: EnrichBatch) -> BatchResult:
        """Enrich every mention admitted into `batch`: one language detection and one sentiment call for
        all of them, then one partial per raw record and watchlist (its (partition, offset) keep the
        aggregate idempotent per raw record), the enriched mentions in order, and one ticker sample."""
        set_languages([mention for mentions in batch.accepted for mention in mentions])
        matched: list[tuple[EnrichResult, Mention, list[str]]] = []
        for result, mentions in zip(batch.results, batch.accepted, strict=True):
            for mention in mentions:
                watchlist_ids = self.matcher.match(mention, tokens(mention.text))
                if watchlist_ids:
                    matched.append((result, mention, watchlist_ids))
                else:
                    result.unmatched += 1
        texts = [self.matcher.mask(mention.text, ids) for _, mention, ids in matched]
        scores = self.scorer.score_batch(texts, [mention.lang for _, mention, _ in matched]) if texts else []
        per_record: dict[int, tuple[dict[str, dict[int, Bucket]], dict[str, float]]] = {}
        enriched: list[EnrichedMention] = []
        for (result, mention, watchlist_ids), (score, label) in zip(matched, scores, strict=True):
            item = EnrichedMention(mention=mention, watchlists=watchlist_ids, score=score, label=label)
            result.enriched.append(item)
            enriched.append(item)
            per_watchlist, newest = per_record.setdefault(id(result), (defaultdict(dict), {}))
            ts = mention.created_ts
            start = bucket_of(ts)
            label_index = LABEL_INDEX[label]
            for watchlist_id in watchlist_ids:
                buckets = per_watchlist[watchlist_id]
                bucket = buckets.get(start)
                if bucket is None:
                    bucket = buckets[start] = empty_bucket()
                bucket[0] += 1
                bucket[label_index] += 1
                bucket[SCORE_SUM] += score
                newest[watchlist_id] = max(newest.get(watchlist_id, ts), ts)
        for result in batch.results:
            if id(result) not in per_record:
                continue
            per_watchlist, newest = per_record[id(result)]
            result.partials = [
                Partial(
                    watchlist=w,
                    partition=result.partition,
                    offset=result.offset,
                    buckets=b,
                    max_ts=newest[w],
                    created_ts=self._created_ts(w),
                )
                for w, b in per_watchlist.items()
            ]
        ticker = [ticker_item(item, more) for item, more in self.ticker.sample(enriched, batch.wall)]
        return BatchResult(batch.results, ticker)

    def process_batch(self, records: Iterable[RawRecord], wall: float | None = None) -> BatchResult:
        """`admit` each raw record in order, then `finish`: what the enrich agent does with what it took."""
        batch = self.begin(wall)
        for record in records:
            self.admit(batch, record.value, record.partition, record.offset)
        return self.finish(batch)

    def process(
        self, value: bytes | None, partition: int, offset: int, wall: float | None = None
    ) -> EnrichResult:
        """One raw record alone (its ticker sample in `ticker`)."""
        done = self.process_batch([RawRecord(value, partition, offset)], wall)
        result = done.records[0]
        result.ticker = done.ticker
        return result
