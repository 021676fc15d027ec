"""Per-second emotion timeline assembled from window predictions.

Two modes:
- `centred` (files): second s gets the mean probabilities of every accepted window that
  overlaps it; full windows are preferred, padded short windows are used only where no
  full window covers the second (clips shorter than a window).
- `causal` (cameras): second s gets the window that ends with it (its last window), so
  each entry is ready as soon as its second is over. Near the start of a stream that
  window is short and padded (needs `min_frames(window)` tracked frames).

A second is `face: true` only if a face was tracked in at least half its frames and an
accepted window gives it probabilities; otherwise its probabilities are null.

With several faces (`--max-faces`), each tracked person has an assembler of their own
that starts at the frame where they first appeared; its entries carry the track id and
the face's mean box in that second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from edge_runtime.features.windowing import Window

Mode = Literal["centred", "causal"]
MIN_FACE_FRACTION = 0.5


@dataclass
class SecondEntry:
    """One second of the timeline; `probs` is None when no usable face was seen."""

    t: int
    face: bool
    probs: dict[str, float] | None
    top: str | None
    confidence: float | None
    face_frames: int
    frames: int
    windows: int
    track: int | None = None  # which person, with --max-faces > 1 (schema_version 2)
    box: list[int] | None = None  # their mean face box in this second: x0, y0, x1, y1 pixels

    def to_dict(self) -> dict[str, Any]:
        out = {
            "t": self.t,
            "face": self.face,
            "probs": self.probs,
            "top": self.top,
            "confidence": self.confidence,
            "face_frames": self.face_frames,
            "frames": self.frames,
            "windows": self.windows,
        }
        if self.track is not None:  # schema_version 1 output stays exactly as it was
            out["track"] = self.track
            out["box"] = self.box
        return out


@dataclass
class _Second:
    frames: int = 0
    face_frames: int = 0
    full: list[np.ndarray] = field(default_factory=list)
    padded: list[np.ndarray] = field(default_factory=list)


class TimelineAssembler:
    """Collects frames and window predictions; hands out finished seconds in order."""

    def __init__(
        self,
        labels: list[str],
        fps: float = 30.0,
        window: int = 90,
        mode: Mode = "centred",
        first_frame: int = 0,
    ) -> None:
        """`first_frame`: index of the first frame added (a face that appears mid-video)."""
        self.labels = list(labels)
        self.fps = fps
        self.window = window
        self.mode = mode
        self._seconds: dict[int, _Second] = {}
        self._first_frame = first_frame
        self._next = self._second_of(first_frame)
        self._frames = first_frame  # absolute index of the next frame

    def _second_of(self, frame: int) -> int:
        return int(frame // self.fps)

    def _slot(self, second: int) -> _Second:
        return self._seconds.setdefault(second, _Second())

    def add_frame(self, has_face: bool) -> None:
        slot = self._slot(self._second_of(self._frames))
        slot.frames += 1
        slot.face_frames += int(has_face)
        self._frames += 1

    def add_window(self, window: Window, probs: np.ndarray | None) -> None:
        if probs is None or not window.accepted:
            return
        if self.mode == "causal":
            seconds = [self._second_of(window.end - 1)]
        else:
            seconds = range(self._second_of(window.start), self._second_of(window.end - 1) + 1)
        for s in seconds:
            slot = self._slot(s)
            (slot.padded if window.padded else slot.full).append(np.asarray(probs, np.float64))

    def pop_ready(self) -> list[SecondEntry]:
        """Seconds that no future window can change, in order."""
        out = []
        while self._next in self._seconds and self._is_final(self._next):
            out.append(self._finish(self._next))
        return out

    def finish(self) -> list[SecondEntry]:
        """All remaining seconds (call after the last frame and window)."""
        out = []
        last = self._second_of(self._frames - 1) if self._frames > self._first_frame else -1
        while self._next <= last:
            out.append(self._finish(self._next))
        return out

    def _is_final(self, second: int) -> bool:
        end_of_second = math.ceil((second + 1) * self.fps)
        if self.mode == "causal":
            return self._frames >= end_of_second
        # A later window ends after frame self._frames, so it starts at or after
        # self._frames + 1 - window; it can no longer reach this second once that start
        # is past the second's end.
        return self._frames + 1 - self.window >= end_of_second

    def _finish(self, second: int) -> SecondEntry:
        slot = self._seconds.pop(second, _Second())
        self._next = second + 1
        chosen = slot.full or slot.padded
        has_face = slot.frames > 0 and slot.face_frames >= MIN_FACE_FRACTION * slot.frames
        if not chosen or not has_face:
            return SecondEntry(second, False, None, None, None, slot.face_frames, slot.frames, 0)
        mean = np.mean(chosen, axis=0)
        mean = mean / mean.sum()
        top = int(np.argmax(mean))
        return SecondEntry(
            t=second,
            face=True,
            probs={label: round(float(p), 6) for label, p in zip(self.labels, mean, strict=True)},
            top=self.labels[top],
            confidence=round(float(mean[top]), 6),
            face_frames=slot.face_frames,
            frames=slot.frames,
            windows=len(chosen),
        )


def reject_unsure(entry: SecondEntry, below: float, to: str) -> SecondEntry:
    """A reject option (Chow's rule, with `to` as the reading when the model is unsure): a
    second whose top label is not `to` and whose top probability is below `below` reads `to`.

    Its probabilities stay the model's, so the rejected label is still there to see; `top`
    and `confidence` become `to` and its probability. The model's sidecar names the rule.
    """
    if entry.face and entry.probs and entry.top != to and entry.confidence < below:
        entry.top, entry.confidence = to, entry.probs[to]
    return entry


class Smoother:
    """Exponential smoothing of a live timeline: p = alpha * new + (1 - alpha) * previous.

    alpha = 0.5 halves the weight of each older second (a half-life of one second), which
    steadies the display against single-window flicker but follows a change within ~2 s.
    A second without a face resets it, so a new face does not inherit the old one's mood.
    """

    def __init__(self, alpha: float = 0.5) -> None:
        if not 0 < alpha <= 1:
            raise ValueError("alpha must be in (0, 1]")
        self.alpha = alpha
        self._state: np.ndarray | None = None

    def __call__(self, entry: SecondEntry) -> SecondEntry:
        if not entry.face or entry.probs is None:
            self._state = None
            return entry
        labels = list(entry.probs)
        new = np.array([entry.probs[k] for k in labels])
        self._state = (
            new if self._state is None else self.alpha * new + (1 - self.alpha) * self._state
        )
        probs = self._state / self._state.sum()
        top = int(np.argmax(probs))
        entry.probs = {k: round(float(p), 6) for k, p in zip(labels, probs, strict=True)}
        entry.top, entry.confidence = labels[top], round(float(probs[top]), 6)
        return entry
