"""Resample a timestamped landmark stream to the model's fixed frame rate.

Output frame k is at time k / fps (0 = start of the video). Its points are linearly
interpolated between the source frames on either side; if one of those has no face,
the nearer source frame is used when it has one, otherwise the output frame has no
face. So a 25, 60 or variable-rate video yields the frames a 30 fps one would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ResampledFrame:
    index: int
    timestamp_s: float
    points: np.ndarray | None  # (68, 2) pixels, or None when there is no face


class Resampler:
    """Streaming resampler: `push(t, points)` per source frame, `flush()` at the end."""

    def __init__(self, fps: float = 30.0, start_index: int = 0) -> None:
        """`start_index`: the first output frame (a face that appears mid-video starts there)."""
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.fps = fps
        self._prev: tuple[float, np.ndarray | None] | None = None
        self._next_index = start_index

    def push(self, timestamp_s: float, points: np.ndarray | None) -> list[ResampledFrame]:
        """Add one source frame; return the output frames that now lie before it."""
        out: list[ResampledFrame] = []
        if self._prev is None:
            # Frames before the first source frame take its value.
            while self._time(self._next_index) < timestamp_s:
                out.append(self._frame(points))
            self._prev = (timestamp_s, points)
            return out
        t0, p0 = self._prev
        if timestamp_s <= t0:
            return out  # not monotonic: drop it rather than go back in time
        while self._time(self._next_index) < timestamp_s:
            t = self._time(self._next_index)
            out.append(self._frame(_interpolate(t0, p0, timestamp_s, points, t)))
        self._prev = (timestamp_s, points)
        return out

    def flush(self) -> list[ResampledFrame]:
        """Output frames up to the last source frame's time (holding its value).

        A 30 fps source of N frames gives exactly N frames; other rates end at most one
        source frame short of the container's duration, never with a one-frame stub.
        """
        if self._prev is None:
            return []
        t_last, p_last = self._prev
        out = []
        while self._time(self._next_index) <= t_last + 1e-9:
            out.append(self._frame(p_last))
        return out

    def _time(self, index: int) -> float:
        return index / self.fps

    def _frame(self, points: np.ndarray | None) -> ResampledFrame:
        frame = ResampledFrame(self._next_index, self._time(self._next_index), points)
        self._next_index += 1
        return frame


def _interpolate(t0, p0, t1, p1, t):
    if p0 is not None and p1 is not None:
        w = (t - t0) / (t1 - t0)
        return p0 + w * (p1 - p0)
    nearer = p0 if (t - t0) <= (t1 - t) else p1
    return nearer


def resample(
    samples: Iterable[tuple[float, np.ndarray | None]], fps: float = 30.0
) -> Iterator[ResampledFrame]:
    """Resample a whole stream of (timestamp_s, points or None)."""
    resampler = Resampler(fps)
    for t, points in samples:
        yield from resampler.push(t, points)
    yield from resampler.flush()


def resample_array(timestamps: np.ndarray, points: np.ndarray, fps: float = 30.0) -> np.ndarray:
    """Batch form: (T,) times and (T, 68, 2) points (NaN = no face) -> (N, 68, 2) at `fps`."""
    samples = (
        (float(t), None if not np.isfinite(p).all() else p)
        for t, p in zip(timestamps, points, strict=True)
    )
    frames = [
        f.points if f.points is not None else np.full((68, 2), np.nan)
        for f in resample(samples, fps)
    ]
    return np.stack(frames) if frames else np.zeros((0, 68, 2))
