"""Accuracy and macro-averaged F1 over the three labels (numpy only)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def accuracy(gold: Sequence[int], predicted: Sequence[int]) -> float:
    return float(np.mean(np.asarray(gold) == np.asarray(predicted))) if len(gold) else 0.0


def macro_f1(gold: Sequence[int], predicted: Sequence[int], classes: int = 3) -> float:
    """Mean over classes of F1 = 2·TP / (2·TP + FP + FN); a class absent from both counts as 0."""
    g, p = np.asarray(gold), np.asarray(predicted)
    scores = []
    for c in range(classes):
        tp = np.sum((g == c) & (p == c))
        wrong = np.sum((g == c) != (p == c))
        scores.append(2 * tp / (2 * tp + wrong) if tp + wrong else 0.0)
    return float(np.mean(scores))
