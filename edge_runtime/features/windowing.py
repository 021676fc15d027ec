"""Gap filling and fixed-length windows (the model's: 90 frames unless its metadata says
otherwise) over landmark sequences (batch and streaming).

Missing frames (no face) are NaN. Gaps of up to MAX_GAP_FRAMES are filled by linear
interpolation (at the ends, by holding the nearest tracked frame): blinks, motion
blur and brief tracker losses last well under half a second, and bridging them keeps
a window usable. Longer gaps are left missing, because interpolating across them
would invent motion. A window is accepted only if no frame is missing after filling
and at most MAX_MISSING_FRACTION of its frames were filled: more invented frames than
that (18 of 90, 6 of 30) and the prediction would describe the interpolation, not the face.

Sequences shorter than a window are padded by holding their first and last frames,
the real frames centred in the window, if they hold at least `min_frames(window)` tracked
frames: MIN_FRAMES, or for short windows the window less the missing frames it may have
(24 of 30), since holding the nearest frame is what gap filling does at a window's ends.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

WINDOW = 90
HOP = 30
MAX_GAP_FRAMES = 15
MAX_MISSING_FRACTION = 0.2
MIN_FRAMES = 30


def min_frames(window: int = WINDOW) -> int:
    """Tracked frames a span shorter than `window` needs to be padded into one."""
    return min(MIN_FRAMES, window - int(MAX_MISSING_FRACTION * window))


@dataclass(frozen=True)
class Window:
    """A span of frames [start, start + length) and its gap-filled (WINDOW, 68, 2) points.

    `points` is None when the window was rejected; `filled` counts interpolated frames,
    `padded` the frames added to reach WINDOW when the real span was shorter.
    """

    start: int
    length: int
    points: np.ndarray | None
    filled: int
    padded: int

    @property
    def end(self) -> int:
        return self.start + self.length

    @property
    def accepted(self) -> bool:
        return self.points is not None

    @property
    def real(self) -> slice:
        """Where the span's own frames sit in `points`: padding holds its ends on both sides."""
        before = self.padded // 2
        return slice(before, before + self.length)


def missing_mask(points: np.ndarray) -> np.ndarray:
    """True for frames of (T, 68, 2) points that hold any NaN."""
    return ~np.isfinite(points).all(axis=(1, 2))


def fill_gaps(points: np.ndarray, max_gap: int = MAX_GAP_FRAMES) -> tuple[np.ndarray, np.ndarray]:
    """Fill gaps of at most `max_gap` missing frames; return (points, still-missing mask)."""
    points = np.array(points, dtype=np.float64, copy=True)
    missing = missing_mask(points)
    if not missing.any() or missing.all():
        return points, missing
    valid = np.flatnonzero(~missing)
    runs = _runs(missing)
    for start, stop in runs:
        if stop - start > max_gap:
            continue
        if start == 0:
            points[start:stop] = points[stop]
        elif stop == len(points):
            points[start:stop] = points[start - 1]
        else:
            before, after = points[start - 1], points[stop]
            frac = (np.arange(start, stop) - (start - 1)) / (stop - (start - 1))
            points[start:stop] = before + frac[:, None, None] * (after - before)
    del valid
    return points, missing_mask(points)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True in a 1-D boolean mask."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def window_from_span(points: np.ndarray, start: int, window: int = WINDOW) -> Window:
    """Gap-fill, check and (if short) pad the span `points` that begins at frame `start`."""
    length = len(points)
    missing = missing_mask(points)
    filled_points, still_missing = fill_gaps(points)
    n_filled = int(missing.sum() - still_missing.sum())
    accepted = (
        length > 0
        and not still_missing.any()
        and missing.sum() <= MAX_MISSING_FRACTION * max(length, window)
        and (length >= window or (~missing).sum() >= min_frames(window))
    )
    if not accepted:
        return Window(start, length, None, n_filled, 0)
    padded = window - length if length < window else 0
    if padded:
        before = padded // 2  # the layout `Window.real` reads back
        filled_points = np.concatenate(
            [
                np.repeat(filled_points[:1], before, axis=0),
                filled_points,
                np.repeat(filled_points[-1:], padded - before, axis=0),
            ]
        )
    return Window(start, length, filled_points, n_filled, padded)


def window_starts(n_frames: int, window: int = WINDOW, hop: int = HOP) -> list[int]:
    """Starts of windows that cover every frame: every `hop`, plus one aligned to the end."""
    if not 1 <= hop <= window:
        raise ValueError(f"hop must be between 1 and the window ({window}), got {hop}")
    if n_frames <= window:
        return [0]
    starts = list(range(0, n_frames - window + 1, hop))
    if starts[-1] + window < n_frames:
        starts.append(n_frames - window)
    return starts


def make_windows(points: np.ndarray, window: int = WINDOW, hop: int = HOP) -> list[Window]:
    """All windows of a whole (T, 68, 2) sequence (NaN = no face), covering every frame."""
    return [
        window_from_span(points[s : s + window], s, window)
        for s in window_starts(len(points), window, hop)
    ]


class WindowStream:
    """Streaming windows: push one frame at a time, get a window every `hop` frames.

    Each window ends at the frame just pushed and holds the last `window` frames (fewer,
    padded, near the start of a stream). Memory is bounded by `window` frames.
    """

    def __init__(self, window: int = WINDOW, hop: int = HOP, first_frame: int = 0) -> None:
        """`first_frame`: the index of the first frame pushed (windows report absolute starts)."""
        self.window = window
        self.hop = hop
        self.first_frame = first_frame
        self._buffer: deque[np.ndarray] = deque(maxlen=window)
        self._count = 0
        self._last_end = 0

    @property
    def frames_seen(self) -> int:
        return self._count

    def push(self, points: np.ndarray | None) -> Window | None:
        """Add a frame's (68, 2) points (None = no face); return a window when one is due."""
        frame = np.full((68, 2), np.nan) if points is None else np.asarray(points, np.float64)
        self._buffer.append(frame)
        self._count += 1
        if self._count % self.hop == 0:
            return self._emit()
        return None

    def flush(self) -> Window | None:
        """The final window over the last frames, if frames arrived since the last window."""
        if self._count == self._last_end or self._count == 0:
            return None
        return self._emit()

    def _emit(self) -> Window:
        self._last_end = self._count
        span = np.stack(self._buffer)
        return window_from_span(span, self.first_frame + self._count - len(span), self.window)
