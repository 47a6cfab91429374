"""Sentiment scoring: a score in [-1, 1] and a label for each text, behind a pluggable backend.

The pipeline calls `Scorer.score_batch` with texts whose watched terms are already masked; the backend is
chosen by the `VIGIE_SENTIMENT_BACKEND` setting through `load_scorer`. "linear" (the default, a trained
multilingual model, see `linear`) and "vader" (English lexicon baseline) are available.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
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
    from services.understanding.sentiment.vader import VaderScorer

    return VaderScorer()


def _linear() -> Scorer:
    from services.understanding.sentiment.linear import LinearScorer

    return LinearScorer()


BACKENDS: dict[str, Callable[[], Scorer]] = {"linear": _linear, "vader": _vader}
DEFAULT_BACKEND = "linear"


def load_scorer(backend: str) -> Scorer:
    try:
        factory = BACKENDS[backend]
    except KeyError:
        raise ValueError(
            f"unknown sentiment backend {backend!r}; expected one of {sorted(BACKENDS)}"
        ) from None
    return factory()


@cache
def _default_scorer() -> Scorer:
    return load_scorer(DEFAULT_BACKEND)


def classify(text: str) -> Label:
    """The label ("neg", "neu" or "pos") of one text in any of the six languages, by the default model."""
    return _default_scorer().score_batch([text], [None])[0].label
