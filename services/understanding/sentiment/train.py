"""Train the sentiment model on the XLM-T training splits, rewriting
services/understanding/sentiment/model/linear.npz.

    python -m services.understanding.sentiment.train

Deterministic: fixed data order, a deterministic solver (L-BFGS) and fixed feature hashes, so the same data
and code give the same file. Needs scikit-learn and scipy (development dependencies); scoring does not. The
hyper-parameters below were chosen by 5-fold cross-validation on the training splits only (`python -m
services.understanding.sentiment.search`); the validation splits are left for `evaluate`. Each text is read
with the language detected from it (not the language of its folder), as at run time when no language is given:
short texts detected as "unknown" then see the same multilingual lexicon in training as in use.
"""

from __future__ import annotations

import argparse
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import sklearn
from sklearn.linear_model import LogisticRegression

from services.understanding.language import detect_batch
from services.understanding.sentiment import corrections, data, lexicon
from services.understanding.sentiment.features import FeatureConfig, Features, Featurizer
from services.understanding.sentiment.linear import MODEL_PATH, LinearModel, save

CONFIG = FeatureConfig()
C = 1.0  # inverse L2 regularisation strength
MIN_DF = 2  # hashed columns seen in fewer training texts than this get no weight
MAX_ITER = 3000
TOL = 1e-4


def design_matrix(features: Features, n_features: int) -> sp.csr_matrix:
    n = len(features.dense)
    rows = [block.hashed.docs for block in features.blocks]
    cols = [block.hashed.buckets for block in features.blocks]
    vals = [block.scale[block.hashed.docs] for block in features.blocks]
    dense = sp.coo_matrix(features.dense)
    rows.append(dense.row.astype(np.int64))
    cols.append(dense.col.astype(np.int64) + (n_features - features.dense.shape[1]))
    vals.append(dense.data)
    matrix = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n_features)
    )
    matrix.sum_duplicates()
    return matrix


def fit_matrix(
    x: sp.csr_matrix, labels: Sequence[int], n_hashed: int, c: float = C, min_df: int = MIN_DF
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], int]:
    """Weights (columns x 3), bias and iterations of the logistic regression on design matrix `x`."""
    df = np.bincount(x.indices, minlength=x.shape[1])
    df[n_hashed:] = min_df  # the dense lexicon columns are always kept
    kept = np.flatnonzero(df >= min_df)
    solver = LogisticRegression(C=c, max_iter=MAX_ITER, tol=TOL)
    solver.fit(x[:, kept], np.asarray(labels))
    if list(solver.classes_) != [0, 1, 2]:
        raise ValueError(f"expected labels 0, 1, 2; got {solver.classes_}")
    weights = np.zeros((x.shape[1], 3), dtype=np.float32)
    weights[kept] = solver.coef_.T
    return weights, solver.intercept_.astype(np.float32), int(np.max(solver.n_iter_))


def fit(
    texts: Sequence[str],
    labels: Sequence[int],
    langs: Sequence[str | None],
    config: FeatureConfig = CONFIG,
    c: float = C,
    min_df: int = MIN_DF,
) -> LinearModel:
    lex = lexicon.build()
    x = design_matrix(Featurizer(config, lex).transform(texts, langs), config.n_features)
    weights, bias, iterations = fit_matrix(x, labels, 1 << config.bits, c, min_df)
    meta = {
        "hyper_parameters": {"C": c, "min_df": min_df, "max_iter": MAX_ITER},
        "train_texts": len(texts),
        "iterations": iterations,
    }
    return LinearModel(config, lex, weights, bias, meta)


def training_data() -> tuple[list[str], list[int], list[str]]:
    """Texts, labels and the language of each text's folder, in a fixed order."""
    texts: list[str] = []
    labels: list[int] = []
    langs: list[str] = []
    for lang in data.LANGUAGES:
        split = data.xlmt(lang, "train")
        texts += split.texts
        labels += split.labels
        langs += [lang] * len(split.texts)
    return texts, labels, langs


def provenance() -> dict[str, Any]:
    return {
        "data": "cardiffnlp/xlm-t data/sentiment/<language>/train_*, commit "
        "874214d64d96599eb869a033c22ec2cc57d19256",
        "languages": list(data.LANGUAGES),
        "lexicon": "vaderSentiment (MIT licence) vader_lexicon.txt and emoji_utf8_lexicon.txt; "
        "services/understanding/sentiment/lexicons.py",
        "command": "python -m services.understanding.sentiment.train",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    parser.add_argument(
        "--corrections", type=Path, help="also train on this `vigie corrections export` folder"
    )
    args = parser.parse_args()
    texts, labels, _ = training_data()
    for split in corrections.read_folder(args.corrections) if args.corrections else []:
        texts, labels = texts + split.texts, labels + split.labels
        print(f"+ {len(split.texts)} corrected {split.lang} texts from {args.corrections}")
    model = fit(texts, labels, detect_batch(texts))
    model.meta.update(provenance())
    save(model, args.output)
    size = args.output.stat().st_size
    iterations = model.meta["iterations"]
    print(f"trained on {len(texts)} texts in {iterations} iterations -> {args.output} ({size:,} bytes)")


if __name__ == "__main__":
    main()
