"""From labelled clips to model inputs: random crops for training, all windows for evaluation.

Every window goes through `edge_runtime`'s gap filling, acceptance rule and
normalisation, so training sees exactly what inference will.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from edge_runtime.normalise import NormalisationSpec, normalise_window
from edge_runtime.windowing import make_windows, window_from_span

from .data import Clip


def random_crops(
    clips: Sequence[Clip],
    window: int,
    per_clip: int,
    rng: np.random.Generator,
    spec: NormalisationSpec,
) -> tuple[np.ndarray, np.ndarray]:
    """`per_clip` random temporal crops of each clip (fewer if a crop is rejected), normalised."""
    xs, ys = [], []
    for clip in clips:
        n = len(clip.points)
        for _ in range(per_clip):
            start = int(rng.integers(0, n - window + 1)) if n > window else 0
            w = window_from_span(clip.points[start : start + window], start, window)
            if w.accepted:
                xs.append(normalise_window(w.points, spec))
                ys.append(clip.label)
    return _stack(xs, ys, window)


def clip_windows(
    clips: Sequence[Clip], window: int, hop: int, spec: NormalisationSpec
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All accepted windows of each clip: (X, labels, clip index of each window)."""
    xs, ys, owners = [], [], []
    for index, clip in enumerate(clips):
        for w in make_windows(clip.points, window, hop):
            if w.accepted:
                xs.append(normalise_window(w.points, spec))
                ys.append(clip.label)
                owners.append(index)
    x, y = _stack(xs, ys, window)
    return x, y, np.asarray(owners, dtype=np.int64)


def clip_predictions(window_probs: np.ndarray, owners: np.ndarray, n_clips: int) -> np.ndarray:
    """Mean window probabilities per clip -> (n_clips, classes); clips without windows get NaN."""
    out = np.full((n_clips, window_probs.shape[1] if window_probs.size else 0), np.nan)
    for i in range(n_clips):
        mine = window_probs[owners == i]
        if len(mine):
            out[i] = mine.mean(axis=0)
    return out


def _stack(xs: list, ys: list, window: int) -> tuple[np.ndarray, np.ndarray]:
    if not xs:
        return np.zeros((0, window, 136), np.float32), np.zeros((0,), np.int64)
    return np.stack(xs).astype(np.float32), np.asarray(ys, dtype=np.int64)
