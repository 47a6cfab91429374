"""The benchmark's workload: demo mentions (English and French, six brands, episodes), made once per run."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from services.demo import DemoGenerator, demo_watchlists
from services.matching import CompiledWatchlists
from services.records import Mention
from services.text import tokens
from services.watchlists import Watchlist


def workload(count: int, seed: int = 7, rate_per_s: float = 2000.0) -> list[Mention]:
    """`count` distinct mentions spread over the event time they would take at `rate_per_s`, ending now."""
    span_s = count / rate_per_s
    generator = DemoGenerator(seed=seed, rate_per_s=rate_per_s, start=datetime.now(UTC) - timedelta(seconds=span_s))
    mentions: list[Mention] = []
    now = datetime.now(UTC) - timedelta(seconds=span_s)
    while len(mentions) < count:
        now += timedelta(seconds=1)
        mentions.extend(generator.batch(now, 1.0))
    return mentions[:count]


def expected_totals(mentions: list[Mention], watchlists: list[Watchlist]) -> Counter[str]:
    """How many mentions each watchlist must count, by the same matcher the worker uses."""
    matcher = CompiledWatchlists(watchlists)
    totals: Counter[str] = Counter()
    for mention in mentions:
        totals.update(matcher.match(mention, tokens(mention.text)))
    return totals


def bench_watchlists() -> list[Watchlist]:
    return demo_watchlists()
