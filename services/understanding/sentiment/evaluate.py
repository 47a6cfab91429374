"""Quality report: the trained model next to plain VADER, in the same run, on three kinds of data.

    python -m services.understanding.sentiment.evaluate

- Validation: XLM-T's validation splits (and TweetEval's, without the tweets also in XLM-T's training split).
  Tuning may look at these, so they flatter the model.
- Test: per language, the untouched test split (`data.xlmt_test`: a fixed, hash-chosen fifth of XLM-T's
  training split, never trained or tuned on). This is the figure to quote.
- Complaint stream: the held-out part of the brand sets (`data.brand_check`), run as the pipeline runs it:
  each post is matched to brand watchlists, the brand's own terms are masked, and the masked text is scored.
  For each brand and set, the share of negative posts by the model next to people's, and the sign of net
  sentiment (share positive minus share negative).

Scores use the language detected from the text (langs=None), as for a post of unknown language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from services.ingest.records import parse_mention
from services.understanding.matching import CompiledWatchlists
from services.understanding.sentiment import LABELS, Scorer, data, metrics
from services.understanding.sentiment.linear import LinearScorer
from services.understanding.sentiment.vader import VaderScorer
from services.understanding.watchlists import Watchlist

NEG, NEU, POS = 0, 1, 2
#: How far the model's negative share of a brand may be from people's in the complaint-stream check.
SHARE_TOLERANCE = 0.08
#: Brand watchlists of the complaint-stream check (the brands of the brand sets).
BRANDS = {
    "apple": "apple* OR iphone* OR ipad* OR ipod* OR itunes OR mac OR macbook* OR imac OR aapl OR siri",
    "google": "google* OR android OR gmail OR nexus OR chrome OR youtube",
    "microsoft": "microsoft OR windows OR xbox OR bing OR msft OR hotmail OR skype",
    "twitter": "twitter OR tweetdeck",
}
#: Sets collected about one brand (CrowdFlower's tweets on @Apple / #AAPL): a post that names no brand word
#: (its "@Apple" became "@user" in the data) still belongs to that brand.
SET_BRANDS = {"en_crowdflower_apple": "apple"}
#: Groups smaller than this are not reported (too few posts for a share).
MIN_GROUP = 50


def validation_splits() -> list[data.Split]:
    """The six XLM-T validation splits and TweetEval's without the tweets of XLM-T's training split."""
    result = [data.xlmt(lang, "val") for lang in data.LANGUAGES]
    tweeteval = data.tweeteval_val()
    trained = {text for lang in data.LANGUAGES for text in data.xlmt(lang, "train").texts}
    unseen = [(t, y) for t, y in zip(tweeteval.texts, tweeteval.labels, strict=True) if t not in trained]
    result.append(data.Split("tweeteval_en unseen", [t for t, _ in unseen], [y for _, y in unseen], "en"))
    return result


def test_splits() -> list[data.Split]:
    return [data.xlmt_test(lang) for lang in data.LANGUAGES]


def predict(scorer: Scorer, texts: Sequence[str], lang: str | None = None) -> list[int]:
    return [LABELS.index(s.label) for s in scorer.score_batch(texts, [lang] * len(texts))]


def negative_recall_precision(gold: Sequence[int], predicted: Sequence[int]) -> tuple[float, float]:
    g, p = np.asarray(gold) == NEG, np.asarray(predicted) == NEG
    hits = float(np.sum(g & p))
    return hits / max(int(g.sum()), 1), hits / max(int(p.sum()), 1)


def quality_table(title: str, splits: Sequence[data.Split], scorers: dict[str, Scorer]) -> list[str]:
    """One line per split: macro-F1 and negative recall / precision of each scorer."""
    head = f"{'split':<22}{'n':>5}" + "".join(
        f" | {name:<9} {'F1':>5} {'negR':>5} {'negP':>5}" for name in scorers
    )
    lines = [title, head, "-" * len(head)]
    for split in splits:
        row = f"{split.name:<22}{len(split.labels):>5}"
        for scorer in scorers.values():
            predicted = predict(scorer, split.texts)
            recall, precision = negative_recall_precision(split.labels, predicted)
            f1 = metrics.macro_f1(split.labels, predicted)
            row += f" | {'':<9} {f1:>5.3f} {recall:>5.3f} {precision:>5.3f}"
        lines.append(row)
    return lines


class BrandGroup(NamedTuple):
    name: str  # "<set> / <brand>"
    gold: list[int]
    predicted: list[int]

    def share(self, labels: list[int], label: int) -> float:
        return labels.count(label) / len(labels)

    def net(self, labels: list[int]) -> float:
        return self.share(labels, POS) - self.share(labels, NEG)


def brand_groups(scorer: Scorer, splits: Sequence[data.Split]) -> list[BrandGroup]:
    """Each held-out brand post matched to the brand watchlists, masked and scored as in the pipeline."""
    watchlists = [Watchlist(id=brand, name=brand, query=query) for brand, query in BRANDS.items()]
    matcher = CompiledWatchlists(watchlists)
    groups: list[BrandGroup] = []
    for split in splits:
        texts: list[str] = []
        gold: list[int] = []
        brands: list[list[str]] = []
        for text, label in zip(split.texts, split.labels, strict=True):
            matched = matcher.match(parse_mention({"text": text, "author": {"handle": "reader"}}))
            if not matched and split.name in SET_BRANDS:
                texts.append(text)
                gold.append(label)
                brands.append([SET_BRANDS[split.name]])
            elif matched:
                texts.append(matcher.mask(text, matched))
                gold.append(label)
                brands.append(matched)
        predicted = [LABELS.index(s.label) for s in scorer.score_batch(texts, [None] * len(texts))]
        for brand in BRANDS:
            rows = [i for i, matched in enumerate(brands) if brand in matched]
            if len(rows) >= MIN_GROUP:
                groups.append(
                    BrandGroup(
                        f"{split.name} / {brand}", [gold[i] for i in rows], [predicted[i] for i in rows]
                    )
                )
    return groups


def complaint_table(scorer: Scorer, splits: Sequence[data.Split]) -> tuple[list[str], bool]:
    """The complaint-stream check: lines to print and whether every group is within tolerance with the
    right sign of net sentiment."""
    groups = brand_groups(scorer, splits)
    head = (
        f"{'set / brand':<40}{'n':>5} | {'neg% people':>11} {'model':>6} {'diff':>6} | "
        f"{'net people':>10} {'model':>6} {'sign':>4} | {'negR':>5} {'negP':>5}"
    )
    lines = [head, "-" * len(head)]
    passed = True
    for group in groups:
        people, model = group.share(group.gold, NEG), group.share(group.predicted, NEG)
        net_people, net_model = group.net(group.gold), group.net(group.predicted)
        sign_ok = np.sign(round(net_people, 3)) == np.sign(round(net_model, 3))
        within = abs(model - people) <= SHARE_TOLERANCE
        passed &= bool(sign_ok and within)
        recall, precision = negative_recall_precision(group.gold, group.predicted)
        lines.append(
            f"{group.name:<40}{len(group.gold):>5} | {100 * people:>11.1f} {100 * model:>6.1f} "
            f"{100 * (model - people):>+6.1f} | {100 * net_people:>+10.1f} {100 * net_model:>+6.1f} "
            f"{'ok' if sign_ok else 'NO':>4} | {recall:>5.3f} {precision:>5.3f}"
        )
    return lines, passed


def main() -> None:
    linear = LinearScorer()
    scorers: dict[str, Scorer] = {"VADER": VaderScorer(), "linear": linear}
    print("\n".join(quality_table("Validation (may have been tuned on)", validation_splits(), scorers)))
    print()
    print("\n".join(quality_table("Test (untouched: never trained or tuned on)", test_splits(), scorers)))
    print()
    print("Complaint stream: held-out brand posts, matched, masked and scored as in the pipeline")
    lines, passed = complaint_table(linear, data.brand_check())
    print("\n".join(lines))
    verdict = "yes" if passed else "no"
    print(f"every brand within {100 * SHARE_TOLERANCE:.0f} points with the right sign: {verdict}")
    meta = linear.model.meta
    print(
        f"\nF1 = macro-F1 over neg/neu/pos; negR, negP = recall and precision of 'neg'. "
        f"Model {meta.get('hyper_parameters')}, {meta.get('train_texts')} training texts."
    )


if __name__ == "__main__":
    main()
