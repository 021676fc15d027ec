"""A per-person neutral baseline, estimated as the video goes (`running-median-v1`).

A face at rest is not the average face: one person's mouth corners turn down, another's
turn up. The model reads one second of landmarks against the training set's mean shape,
so such a resting face can read as sadness or happiness in every second. With a
baseline, each face stream keeps the geometric-normalised frames it has seen (the last
HISTORY_FRAMES) and shifts every window by `w * (median - mean)`: the person's typical
shape moves onto the training mean, what changes from it stays. `w = n / (n + PRIOR_FRAMES)`
grows with the n frames seen, so the first seconds of a face are read much as without a
baseline. Causal, so it works the same on a camera and on a file. Measured with the default
model's recipe on the 36 validation people (2026-12-01): S36 0.755 -> 0.720, worse on short
clips of one held expression, so no default model names it (`convert --baseline` does).
"""

from __future__ import annotations

import numpy as np

BASELINE_METHOD = "running-median-v1"
PRIOR_FRAMES = 90
"""Frames (3 s at 30 fps) at which the person's median gets half the weight."""
HISTORY_FRAMES = 1800
"""The last 60 s at 30 fps make the estimate."""


class RunningBaseline:
    """One face's resting shape from the frames seen so far; create with `RunningBaseline.create`."""

    def __init__(
        self,
        mean: np.ndarray,
        prior_frames: int = PRIOR_FRAMES,
        history_frames: int = HISTORY_FRAMES,
    ) -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        self.prior_frames = prior_frames
        self._history = np.empty((history_frames, self.mean.size))
        self._count = 0  # frames kept, at most history_frames
        self._next = 0  # ring position of the next frame
        self._seen_until: int | None = None  # absolute index after the newest frame kept

    @classmethod
    def create(cls, method: str | None, mean) -> RunningBaseline | None:
        """The baseline a model's normalisation names (None: it names none)."""
        if method is None:
            return None
        if method != BASELINE_METHOD:
            raise ValueError(f"unknown baseline {method!r} (this runtime knows {BASELINE_METHOD})")
        return cls(np.asarray(mean))

    @property
    def frames(self) -> int:
        return self._count

    def observe(self, features: np.ndarray, first_index: int) -> None:
        """Keep the frames of (T, F) geometric features, frame i at absolute index first_index + i,
        that are newer than any kept before (windows overlap)."""
        features = np.asarray(features, dtype=np.float64)
        skip = 0 if self._seen_until is None else max(0, self._seen_until - first_index)
        for row in features[skip:]:
            self._history[self._next] = row
            self._next = (self._next + 1) % len(self._history)
            self._count = min(self._count + 1, len(self._history))
        self._seen_until = max(self._seen_until or 0, first_index + len(features))

    def shift(self) -> np.ndarray:
        """What to subtract from geometric features: w * (the kept frames' median - mean)."""
        if self._count == 0:
            return np.zeros_like(self.mean)
        median = np.median(self._history[: self._count], axis=0)
        weight = self._count / (self._count + self.prior_frames)
        return weight * (median - self.mean)
