"""Hyper-parameter search by stratified 5-fold cross-validation on the training splits only.

    python -m services.understanding.sentiment.search [--quick]

Prints the mean macro-F1 over the six languages (and per language, on the XLM-T training tweets of the folds;
the extra files are trained on but not scored) for each setting tried, one change from the current setting
at a time; a better one is copied by hand into `train.py`. Neither the validation nor the test splits are
read here (`train.training_data` leaves them out). Several minutes per setting.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from services.understanding.language import detect_batch
from services.understanding.sentiment import data, lexicon, metrics, train
from services.understanding.sentiment.features import FeatureConfig, Featurizer

FOLDS = 5
SEED = 0


def settings(quick: bool) -> Iterator[tuple[FeatureConfig, float, int]]:
    """The current setting, then one change at a time (C and min_df are searched for the current features)."""
    base = train.CONFIG
    yield base, train.C, train.MIN_DF
    for c in (0.5, 2.0, 4.0):
        yield base, c, train.MIN_DF
    if quick:
        return
    for min_df in (1, 3):
        yield base, train.C, min_df
    changes: list[dict[str, Any]] = [
        {"char_min": 1},
        {"char_min": 3},
        {"char_max": 4},
        {"char_max": 6},
        {"word_max": 1},
        {"word_copies": not base.word_copies},
        {"char_copies": not base.char_copies},
        {"squash": 15.0},
        {"lexicon_weight": 0.0},  # ablation: no lexicon features
    ]
    for change in changes:
        yield replace(base, **change), train.C, train.MIN_DF


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="only a few values of C")
    args = parser.parse_args()
    pool = train.training_data()
    texts, langs = pool.texts, pool.langs
    y = np.asarray(pool.labels)
    weights = train.sample_weights(pool.labels, pool.langs, pool.weights)
    scored = np.asarray([source.startswith("xlmt_") for source in pool.sources])
    lang_ids = np.asarray([list(data.LANGUAGES).index(lang) for lang in langs])
    detected: list[str | None] = list(detect_batch(texts))
    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(texts, lang_ids * 3 + y))
    lex = lexicon.build()
    matrices = {}
    print(f"{'setting':<70} {'mean':>6}  " + " ".join(f"{lang:>5}" for lang in data.LANGUAGES))
    for config, c, min_df in settings(args.quick):
        if config not in matrices:
            features = Featurizer(config, lex).transform(texts, detected)
            matrices[config] = train.design_matrix(features, config.n_features)
        x = matrices[config]
        predicted = np.zeros(len(y), dtype=np.int64)
        for fit_rows, test_rows in folds:
            fitted = train.fit_matrix(
                x[fit_rows], y[fit_rows], 1 << config.bits, c, min_df, weights[fit_rows]
            )
            predicted[test_rows] = (x[test_rows] @ fitted[0] + fitted[1]).argmax(axis=1)
        per_lang = [
            metrics.macro_f1(y[rows], predicted[rows])
            for rows in (scored & (lang_ids == k) for k in range(len(data.LANGUAGES)))
        ]
        name = f"{config} C={c} min_df={min_df}".replace("FeatureConfig", "")
        print(f"{name:<70} {np.mean(per_lang):.4f}  " + " ".join(f"{f:.3f}" for f in per_lang), flush=True)


if __name__ == "__main__":
    main()
