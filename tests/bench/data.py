"""The benchmark's workload: demo mentions (six languages, the demo brands, episodes), made once per run."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from services.demo import DemoGenerator, demo_watchlists
from services.ingest.records import Mention
from services.understanding.matching import CompiledWatchlists
from services.understanding.watchlists import Watchlist


def workload(count: int, seed: int = 7, rate_per_s: float = 2000.0) -> list[Mention]:
    """`count` distinct mentions spread over the event time they would take at `rate_per_s`, ending now."""
    span_s = count / rate_per_s
    start = datetime.now(UTC) - timedelta(seconds=span_s)
    generator = DemoGenerator(seed=seed, rate_per_s=rate_per_s, start=start)
    mentions: list[Mention] = []
    now = start
    while len(mentions) < count:
        now += timedelta(seconds=1)
        mentions.extend(generator.batch(now, 1.0))
    return mentions[:count]


def bench_watchlists() -> list[Watchlist]:
    """The demo brands' watchlists: what the workload talks about."""
    return demo_watchlists()


def filler_watchlists(count: int) -> list[Watchlist]:
    """The demo watchlists plus made-up ones (a name and a two-word phrase each), `count` in all."""
    watchlists = bench_watchlists()[:count]
    for index in range(len(watchlists), count):
        watchlists.append(
            Watchlist(
                id=f"filler-{index}", name=f"Filler {index}", keywords=[f"filler{index}", f"brand {index}"]
            )
        )
    return watchlists


def expected_totals(mentions: list[Mention], watchlists: list[Watchlist]) -> Counter[str]:
    """How many mentions each watchlist must count, by the same matcher the worker uses."""
    matcher = CompiledWatchlists(watchlists)
    totals: Counter[str] = Counter()
    for mention in mentions:
        totals.update(matcher.match(mention))
    return totals
