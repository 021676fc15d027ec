"""Classification figures in plain NumPy: accuracy, macro-F1, per-class P/R/F1, confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Rows = true class, columns = predicted class."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    return matrix


def classification_report(y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[str]) -> dict:
    """Accuracy, macro-F1 over classes present in y_true, and per-class precision/recall/F1/support."""
    n = len(labels)
    matrix = confusion_matrix(y_true, y_pred, n)
    tp = np.diag(matrix).astype(float)
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    precision = np.divide(tp, predicted, out=np.zeros(n), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(n), where=support > 0)
    f1 = np.divide(
        2 * precision * recall, precision + recall, out=np.zeros(n), where=(precision + recall) > 0
    )
    present = support > 0
    return {
        "n": int(support.sum()),
        "accuracy": float(tp.sum() / max(support.sum(), 1)),
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "per_class": {
            label: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
        "confusion_matrix": matrix.tolist(),
    }


def grouped_bootstrap_interval(
    correct: np.ndarray,
    groups: Sequence[str],
    level: float = 0.95,
    draws: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval of an accuracy when whole groups (videos) are resampled.

    Seconds of one video are not independent (one person, one expression, one camera), so
    resampling seconds would overstate precision; resampling videos with replacement says
    how much the figure could move with other videos of the same kind. Deterministic for
    a seed.
    """
    correct = np.asarray(correct, dtype=float)
    names, index = np.unique(np.asarray(groups), return_inverse=True)
    if correct.shape != index.shape or not len(correct):
        raise ValueError("need one group per item, and at least one item")
    hits = np.bincount(index, weights=correct, minlength=len(names))
    counts = np.bincount(index, minlength=len(names)).astype(float)
    picks = np.random.default_rng(seed).integers(0, len(names), size=(draws, len(names)))
    accuracies = hits[picks].sum(axis=1) / counts[picks].sum(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(accuracies, [tail, 100 - tail])
    return round(float(low), 3), round(float(high), 3)
