"""VADER (Hutto & Gilbert, 2014): an English rule-based lexicon scorer, the baseline."""

from __future__ import annotations

from collections.abc import Sequence

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from services.understanding.sentiment import Label, Sentiment

#: VADER's documented thresholds on the compound score.
NEUTRAL_BAND = 0.05


def label_of(score: float) -> Label:
    if score >= NEUTRAL_BAND:
        return "pos"
    if score <= -NEUTRAL_BAND:
        return "neg"
    return "neu"


class VaderScorer:
    name = "vader"

    def __init__(self) -> None:
        self._analyzer = SentimentIntensityAnalyzer()

    def score_batch(self, texts: Sequence[str], langs: Sequence[str | None]) -> list[Sentiment]:
        polarity = self._analyzer.polarity_scores
        results = []
        for text in texts:
            score = float(polarity(text)["compound"])
            results.append(Sentiment(score, label_of(score)))
        return results
