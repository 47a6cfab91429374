"""Train the sentiment model, rewriting services/understanding/sentiment/model/linear.npz.

    python -m services.understanding.sentiment.train

Data (`training_data`): XLM-T's training splits without the untouched test split (`data.xlmt_test`), the
human-labelled files of extra/ (`data.EXTRA_FILES`, without the brand-check part of the brand sets), each
with a weight, and with `--corrections DIR` the labels people set (`vigie corrections export`); within each
language the classes are then given equal total weight (`sample_weights`), so that skewed or no-neutral
files add evidence without moving the priors.

Deterministic: fixed data order, a deterministic solver (L-BFGS) and fixed feature hashes, so the same data
and code give the same file. Needs scikit-learn and scipy (development dependencies); scoring does not.
Hyper-parameters are chosen on the training data by cross-validation
(`python -m services.understanding.sentiment.search`) and the validation splits; the test split is only ever
scored by `evaluate`. Each text is read with the language detected from it (not the language of its
folder), as at run time when no language is given: short texts detected as "unknown" then see the same
multilingual lexicon in training as in use.
"""

from __future__ import annotations

import argparse
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

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
TOL = 1e-3


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
    x: sp.csr_matrix,
    labels: Sequence[int],
    n_hashed: int,
    c: float = C,
    min_df: int = MIN_DF,
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], int]:
    """Weights (columns x 3), bias and iterations of the logistic regression on design matrix `x`."""
    df = np.bincount(x.indices, minlength=x.shape[1])
    df[n_hashed:] = min_df  # the dense lexicon columns are always kept
    kept = np.flatnonzero(df >= min_df)
    solver = LogisticRegression(C=c, max_iter=MAX_ITER, tol=TOL)
    solver.fit(x[:, kept], np.asarray(labels), sample_weight=sample_weight)
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
    sample_weight: npt.NDArray[np.float64] | None = None,
) -> LinearModel:
    lex = lexicon.build()
    x = design_matrix(Featurizer(config, lex).transform(texts, langs), config.n_features)
    weights, bias, iterations = fit_matrix(x, labels, 1 << config.bits, c, min_df, sample_weight)
    meta = {
        "hyper_parameters": {
            "C": c,
            "min_df": min_df,
            "max_iter": MAX_ITER,
            "tol": TOL,
            "neg_weight": NEG_WEIGHT,
            "brand_neg_weight": BRAND_NEG_WEIGHT,
        },
        "train_texts": len(texts),
        "iterations": iterations,
    }
    return LinearModel(config, lex, weights, bias, meta)


#: Extra weight of negative examples: the war room reads complaints, so missing one costs more.
NEG_WEIGHT = 1.0
#: Extra weight of the negative posts of the brand sets (complaints to or about a brand), within the
#: negative class of their language: they teach what a complaint looks like without moving the priors.
BRAND_NEG_WEIGHT = 1.0
#: A language's total weight is at most this many times that of the language with the least data (French).
LANGUAGE_CAP = 4.0


class TrainingData(NamedTuple):
    texts: list[str]
    labels: list[int]
    langs: list[str]  # the language of each text's file
    weights: list[float]  # before `sample_weights` balances them
    sources: list[str]  # file (split) name of each text


def training_data(corrected: Sequence[data.Split] = ()) -> TrainingData:
    """The labels people set in a deployment (`corrected`, weight 1, first: a person's label of a text wins),
    XLM-T training tweets (without the test split) and the extra files (without the brand check), in a
    fixed order; texts equal (by `data.key`) to a test, brand-check or validation text, or to an earlier
    training text, are left out. A data folder without extra/ or validation files (a deployment's own
    XLM-T copy) trains on what it has."""
    reserved = {data.key(t) for lang in data.LANGUAGES for t in data.xlmt_test(lang).texts}
    reserved |= {data.key(t) for split in data.brand_check() for t in split.texts}
    validation = [data.xlmt(lang, "val") for lang in data.LANGUAGES if data.has_xlmt(lang, "val")]
    reserved |= {data.key(t) for split in validation for t in split.texts}
    result = TrainingData([], [], [], [], [])
    seen: set[str] = set()
    parts = [(split, 1.0, False) for split in corrected]
    parts += [(data.xlmt_train(lang), 1.0, False) for lang in data.LANGUAGES]
    parts += [(data.extra_train(file), file.weight, file.brands) for file in data.extra_files()]
    for split, weight, brands in parts:
        assert split.lang is not None
        complaint_weight = weight * BRAND_NEG_WEIGHT if brands else weight
        for text, label in zip(split.texts, split.labels, strict=True):
            text_key = data.key(text)
            if text_key in reserved or text_key in seen:
                continue
            seen.add(text_key)
            result.texts.append(text)
            result.labels.append(label)
            result.langs.append(split.lang)
            result.weights.append(complaint_weight if label == 0 else weight)
            result.sources.append(split.name)
    return result


def sample_weights(
    labels: Sequence[int],
    langs: Sequence[str],
    weights: Sequence[float],
    neg_weight: float = NEG_WEIGHT,
    language_cap: float = LANGUAGE_CAP,
) -> npt.NDArray[np.float64]:
    """Per-text weights whose sum is the same for each class within a language (skewed and no-neutral files
    do not move the priors) and at most `language_cap` times the language's XLM-T share (English's many
    extra tweets do not drown the shared features of the other languages), times `neg_weight` for
    negatives, normalised to a mean of 1."""
    y, w = np.asarray(labels), np.asarray(weights, dtype=np.float64)
    lang = np.asarray(langs)
    result = w.copy()
    present = [code for code in data.LANGUAGES if (lang == code).any()]
    cap = language_cap * min(float(w[lang == code].sum()) for code in present)
    for code in present:
        rows = lang == code
        total = min(float(w[rows].sum()), cap)
        for label in range(3):
            cell = rows & (y == label)
            if cell.any():
                result[cell] *= total / 3 / float(w[cell].sum())
    result[y == 0] *= neg_weight
    normalised: npt.NDArray[np.float64] = result * (len(result) / result.sum())
    return normalised


def provenance() -> dict[str, Any]:
    return {
        "data": "cardiffnlp/xlm-t data/sentiment/<language>/train_*, commit "
        "874214d64d96599eb869a033c22ec2cc57d19256, less the test split; shared/data/sentiment/extra: "
        + ", ".join(f"{file.path} (weight {file.weight})" for file in data.extra_files())
        + " (see services/understanding/sentiment/model/PROVENANCE.md)",
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
    corrected = corrections.read_folder(args.corrections) if args.corrections else []
    for split in corrected:
        print(f"+ {len(split.texts)} corrected {split.lang} texts from {args.corrections}")
    pool = training_data(corrected)
    texts = pool.texts
    weights = sample_weights(pool.labels, pool.langs, pool.weights)
    model = fit(texts, pool.labels, detect_batch(texts), sample_weight=weights)
    model.meta.update(provenance())
    save(model, args.output)
    size = args.output.stat().st_size
    iterations = model.meta["iterations"]
    print(f"trained on {len(texts)} texts in {iterations} iterations -> {args.output} ({size:,} bytes)")


if __name__ == "__main__":
    main()
