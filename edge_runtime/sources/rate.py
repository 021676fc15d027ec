"""`--max-fps`: analyse at most N frames per second of source time, for slow devices.

The resampler fills the model's 30 fps windows from whatever frames are analysed (it
interpolates between them), so a cap trades temporal detail for CPU, not window shape.
"""

from __future__ import annotations

import math


class FrameRateLimiter:
    """Keeps the first frame of each 1/max_fps slot of source time; `max_fps=None` keeps all.

    Slots are fixed on the time axis rather than counted from the last kept frame, so the
    kept rate averages `max_fps` whatever the source's own rate or timestamp jitter
    (a 30 fps camera capped at 12 keeps 2 or 3 frames apart, 12 per second).
    """

    def __init__(self, max_fps: float | None = None) -> None:
        if max_fps is not None and not (max_fps > 0 and math.isfinite(max_fps)):
            raise ValueError(f"max_fps must be a positive number, got {max_fps}")
        self.max_fps = max_fps
        self.kept = 0
        self.skipped = 0
        self.last_timestamp_s = 0.0  # of the last frame seen, kept or not
        self._last_slot: int | None = None

    def keep(self, timestamp_s: float) -> bool:
        """Whether the frame at `timestamp_s` is analysed (call once per frame, in order)."""
        self.last_timestamp_s = timestamp_s
        if self.max_fps is not None:
            slot = math.floor(timestamp_s * self.max_fps + 1e-6)
            if self._last_slot is not None and slot <= self._last_slot:
                self.skipped += 1
                return False
            self._last_slot = slot
        self.kept += 1
        return True

    @property
    def seen(self) -> int:
        return self.kept + self.skipped
