"""Validation report: the trained model next to plain VADER, on the same validation splits, in the same run.

    python -m services.understanding.sentiment.evaluate

"linear" scores with the language detected from the text (langs=None), as for a post of unknown language;
"lang given" passes the language of the data folder, as when the platform labels the post. TweetEval's
validation set shares most of its tweets with the XLM-T English training split (both come from
SemEval-2017), so it is also reported without the tweets seen in training ("unseen").
"""

from __future__ import annotations

from collections.abc import Sequence

from services.understanding.sentiment import LABELS, Scorer, data, metrics
from services.understanding.sentiment.linear import LinearScorer
from services.understanding.sentiment.vader import VaderScorer


def splits() -> list[data.Split]:
    """The six XLM-T validation splits, TweetEval's, and TweetEval's without the tweets trained on."""
    result = [data.xlmt(lang, "val") for lang in data.LANGUAGES]
    tweeteval = data.tweeteval_val()
    trained = {text for lang in data.LANGUAGES for text in data.xlmt(lang, "train").texts}
    unseen = [(t, y) for t, y in zip(tweeteval.texts, tweeteval.labels, strict=True) if t not in trained]
    unseen_split = data.Split(
        "tweeteval_en unseen", [t for t, _ in unseen], [y for _, y in unseen], tweeteval.lang
    )
    return [*result, tweeteval, unseen_split]


def predict(scorer: Scorer, texts: Sequence[str], lang: str | None) -> list[int]:
    return [LABELS.index(s.label) for s in scorer.score_batch(texts, [lang] * len(texts))]


def main() -> None:
    vader, linear = VaderScorer(), LinearScorer()
    columns = f"{'VADER acc':>9} {'F1':>5} | {'linear acc':>10} {'F1':>5} | {'lang given F1':>13}"
    header = f"{'split':<20}{'n':>5} | {columns}"
    print(header)
    print("-" * len(header))
    for split in splits():
        gold = split.labels
        baseline = predict(vader, split.texts, None)
        detected = predict(linear, split.texts, None)
        given = predict(linear, split.texts, split.lang)
        print(
            f"{split.name:<20}{len(gold):>5} | {metrics.accuracy(gold, baseline):>9.3f} "
            f"{metrics.macro_f1(gold, baseline):>5.3f} | {metrics.accuracy(gold, detected):>10.3f} "
            f"{metrics.macro_f1(gold, detected):>5.3f} | {metrics.macro_f1(gold, given):>13.3f}"
        )
    meta = linear.model.meta
    print(
        f"\nF1 = macro-F1 over neg/neu/pos. Model {meta.get('hyper_parameters')}, {meta.get('train_texts')} "
        "training texts.\ntweeteval_en (all) includes tweets of the XLM-T English training split: "
        "not a fair score."
    )


if __name__ == "__main__":
    main()
