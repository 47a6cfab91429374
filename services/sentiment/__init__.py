"""Sentiment scoring: a score in [-1, 1] and a label for each text, behind a pluggable backend.

The pipeline calls `Scorer.score_batch` with texts whose watched terms are already masked; the backend is
chosen by the `VIGIE_SENTIMENT_BACKEND` setting through `load_scorer`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, NamedTuple, Protocol

Label = Literal["neg", "neu", "pos"]
LABELS: tuple[Label, Label, Label] = ("neg", "neu", "pos")


class Sentiment(NamedTuple):
    score: float
    label: Label


class Scorer(Protocol):
    """A sentiment backend. `langs[i]` is the language of `texts[i]` when known (ISO 639-1), else None."""

    name: str

    def score_batch(self, texts: Sequence[str], langs: Sequence[str | None]) -> list[Sentiment]: ...


def _vader() -> Scorer:
    from services.sentiment.vader import VaderScorer

    return VaderScorer()


BACKENDS: dict[str, Callable[[], Scorer]] = {"vader": _vader}


def load_scorer(backend: str) -> Scorer:
    try:
        factory = BACKENDS[backend]
    except KeyError:
        raise ValueError(f"unknown sentiment backend {backend!r}; expected one of {sorted(BACKENDS)}") from None
    return factory()
