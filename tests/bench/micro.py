"""In-process microbenchmarks on one core: record decoding, word tokens, sentiment, language, watchlist
matching and masking, the aggregate's metrics messages, the archive's index terms, and the enrich stage with a
profile of where its time goes."""

from __future__ import annotations

import cProfile
import pstats
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.aggregation.aggregate import metrics_message
from services.aggregation.windows import BUCKET_S, HISTORY_S, WindowState, bucket_of
from services.archive.records import from_enriched, lexemes
from services.ingest.dedupe import PartitionIds
from services.ingest.records import Mention, decode_raw_mentions, encode_envelope, parse_mention
from services.understanding.enrich import EnrichedMention, Enricher, TickerSampler
from services.understanding.language import detect_batch
from services.understanding.matching import CompiledWatchlists
from services.understanding.sentiment import load_scorer
from services.understanding.text import tokens
from services.understanding.watchlists import Watchlist
from tests.bench.data import filler_watchlists

REPO = Path(__file__).resolve().parents[2]


def best_rate(run: Callable[[], object], items: int, repeats: int = 3) -> float:
    """Items per second of the fastest of `repeats` runs (the least disturbed by other work)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return items / best


def records(mentions: list[Mention], batch_max: int) -> float:
    """Mentions per second from raw envelopes to validated `Mention`s (what enrich does first)."""
    values = _records(mentions, batch_max)

    def run() -> None:
        for value in values:
            for item in decode_raw_mentions(value):
                parse_mention(item)

    return best_rate(run, len(mentions))


def word_tokens(mentions: list[Mention]) -> float:
    texts = [m.text for m in mentions]
    return best_rate(lambda: [tokens(text) for text in texts], len(texts))


def sentiment(mentions: list[Mention], backend: str) -> float:
    scorer = load_scorer(backend)
    texts = [m.text for m in mentions]
    langs = [m.lang for m in mentions]
    return best_rate(lambda: scorer.score_batch(texts, langs), len(texts))


def language(mentions: list[Mention]) -> float:
    texts = [m.text for m in mentions]
    detect_batch(texts[:10])  # loads the model
    return best_rate(lambda: detect_batch(texts), len(texts))


def matching(mentions: list[Mention], watchlists: list[Watchlist]) -> float:
    matcher = CompiledWatchlists(watchlists)
    return best_rate(lambda: [matcher.match(m) for m in mentions], len(mentions))


def masking(mentions: list[Mention], watchlists: list[Watchlist]) -> float:
    """Matched mentions per second through masking their watchlists' terms (what enrich does before
    scoring)."""
    matcher = CompiledWatchlists(watchlists)
    matched = [(m.text, ids) for m in mentions if (ids := matcher.match(m))]
    return best_rate(lambda: [matcher.mask(text, ids) for text, ids in matched], len(matched))


def archive_terms(mentions: list[Mention], watchlists: list[Watchlist]) -> float:
    """Matched mentions per second through the archive's index terms (`lexemes`: what the archiver works
    out for each mention before writing it)."""
    matcher = CompiledWatchlists(watchlists)
    archived = [
        from_enriched(EnrichedMention(mention=m, watchlists=ids, score=0.0, label="neu"))
        for m in mentions
        if (ids := matcher.match(m))
    ]
    return best_rate(lambda: [lexemes(m) for m in archived], len(archived))


def metrics_messages(now_ts: float) -> float:
    """`metrics` messages per second built from a watchlist's state holding an hour of buckets (what the
    aggregate publishes, at most every publish interval per watchlist)."""
    state = WindowState()
    state.apply(
        {bucket_of(now_ts - age_s): [5, 2, 2, 1, 0.3, 0] for age_s in range(0, HISTORY_S, BUCKET_S)},
        now_ts=now_ts,
        grace_s=0,
    )
    return best_rate(lambda: [metrics_message("w", state, now_ts) for _ in range(200)], 200)


def _enricher(watchlists: list[Watchlist], backend: str) -> Enricher:
    return Enricher(
        matcher=CompiledWatchlists(watchlists),
        scorer=load_scorer(backend),
        seen=PartitionIds(10 * 1_000_000),
        ticker=TickerSampler(0.5),
        topic="bench",
    )


def _records(mentions: list[Mention], batch_max: int) -> list[bytes]:
    return [encode_envelope(mentions[i : i + batch_max]) for i in range(0, len(mentions), batch_max)]


def enrich(mentions: list[Mention], watchlists: list[Watchlist], backend: str, batch_max: int) -> float:
    """Mentions per second through `Enricher.process` alone (no Kafka, no Faust), fresh dedupe each run."""
    records = _records(mentions, batch_max)
    best = float("inf")
    for _ in range(2):
        enricher = _enricher(watchlists, backend)
        started = time.perf_counter()
        for offset, record in enumerate(records):
            enricher.process(record, 0, offset)
        best = min(best, time.perf_counter() - started)
    return len(mentions) / best


def _where(filename: str) -> str:
    path = Path(filename)
    if path.is_relative_to(REPO) and ".venv" not in path.parts:
        return str(path.relative_to(REPO))
    if "site-packages" in path.parts:
        return path.parts[path.parts.index("site-packages") + 1]
    return path.name or filename


def profile_enrich(
    mentions: list[Mention], watchlists: list[Watchlist], backend: str, batch_max: int, top: int = 10
) -> dict[str, Any]:
    """cProfile of `Enricher.process` on these mentions: the top functions and modules by own time."""
    records = _records(mentions, batch_max)
    enricher = _enricher(watchlists, backend)
    profiler = cProfile.Profile()
    profiler.enable()
    for offset, record in enumerate(records):
        enricher.process(record, 0, offset)
    profiler.disable()
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total_s = sum(own_s for _, _, own_s, _, _ in stats.values())
    functions = sorted(
        (
            (f"{_where(file)}:{line}({name})", own_s)
            for (file, line, name), (_, _, own_s, _, _) in stats.items()
        ),
        key=lambda item: -item[1],
    )
    # Built-ins (str.join, re.sub, orjson...) have no module of their own: their time goes to their callers'.
    modules: dict[str, float] = defaultdict(float)
    for (file, _, _), (_, _, own_s, _, callers) in stats.items():
        if file != "~" or not callers:
            modules[_where(file)] += own_s
            continue
        for (caller_file, _, _), (_, _, caller_s, _) in callers.items():
            modules[_where(caller_file)] += caller_s
    return {
        "mentions": len(mentions),
        "total_s": round(total_s, 3),
        "top_functions": [{"where": w, "share": round(s / total_s, 3)} for w, s in functions[:top]],
        "top_modules": [
            {"where": w, "share": round(s / total_s, 3)}
            for w, s in sorted(modules.items(), key=lambda item: -item[1])[:top]
        ],
    }


def run(mentions: list[Mention], backend: str, batch_max: int) -> dict[str, Any]:
    sample = mentions[:5000]
    watchlists = filler_watchlists(6)
    return {
        "records_mentions_per_s": records(sample, batch_max),
        "tokens_texts_per_s": word_tokens(sample),
        "sentiment_texts_per_s": sentiment(sample, backend),
        "language_texts_per_s": language(sample),
        "matching_mentions_per_s": {str(n): matching(sample, filler_watchlists(n)) for n in (1, 50, 200)},
        "masking_matched_mentions_per_s": masking(sample, watchlists),
        "metrics_messages_per_s": metrics_messages(time.time()),
        "archive_terms_mentions_per_s": archive_terms(sample, watchlists),
        "enrich_mentions_per_s": enrich(mentions[:20_000], watchlists, backend, batch_max),
        "enrich_profile": profile_enrich(mentions[:10_000], watchlists, backend, batch_max),
    }
