"""Video files as generators of timestamped frames (cameras: camera.py).

Timestamps come from the container's presentation timestamps (PTS), not from
frame index / nominal fps, so variable-frame-rate files are timed correctly.
Frames are decoded one at a time; nothing holds the whole video in memory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_runtime.cancel import raise_if_stopped
from edge_runtime.errors import InputError
from edge_runtime.sources.rate import FrameRateLimiter

MAX_PIXELS = 7680 * 4320
"""Largest frame we accept (8K UHD); bigger frames are refused rather than risking memory."""


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame: BGR pixels and its presentation time in seconds from the start."""

    index: int
    timestamp_s: float
    image: np.ndarray


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video before decoding."""

    path: str
    width: int
    height: int
    nominal_fps: float
    frame_count: int

    @property
    def nominal_duration_s(self) -> float:
        return self.frame_count / self.nominal_fps if self.nominal_fps > 0 else 0.0


def load_cv2():
    """OpenCV, imported on first use, with FFmpeg's own log lines silenced."""
    # Keep FFmpeg's own messages ("moov atom not found") off the terminal: our errors say it.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    import cv2

    return cv2


def probe_video(path: str | Path) -> VideoInfo:
    """Open a video file just long enough to read its size, nominal fps and frame count."""
    cv2 = load_cv2()
    path = Path(path)
    _check_file(path)
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise InputError(f"{path}: not a readable video (OpenCV could not open it)")
        return VideoInfo(
            path=str(path),
            width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            nominal_fps=float(cap.get(cv2.CAP_PROP_FPS) or 0.0),
            frame_count=max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0),
        )
    finally:
        cap.release()


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a video file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file (0 bytes)")


def read_video(
    path: str | Path, *, realtime: bool = False, limiter: FrameRateLimiter | None = None
) -> Iterator[VideoFrame]:
    """Yield the frames of a video file with PTS timestamps (`index` counts every frame).

    With `realtime=True` frames are released at the pace of their timestamps, which
    is how a file stands in for a camera in tests and demos. Frames the `limiter`
    (`--max-fps`) skips are decoded but never converted to BGR or yielded.
    Raises InputError if the file cannot be opened or yields no frame at all.
    """
    cv2 = load_cv2()
    path = Path(path)
    _check_file(path)
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise InputError(f"{path}: not a readable video (OpenCV could not open it)")
    nominal_fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    fallback_step = 1.0 / nominal_fps if 0 < nominal_fps < 1000 else 1.0 / 30.0
    start_wall = time.monotonic()
    last_t = -np.inf
    index = yielded = 0
    try:
        while True:
            raise_if_stopped()
            if not cap.grab():
                break
            t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            # Some containers report no PTS (0 or repeats): keep time strictly increasing.
            if not np.isfinite(t) or t <= last_t:
                t = (last_t + fallback_step) if np.isfinite(last_t) else 0.0
            last_t = t
            index += 1
            if limiter is not None and not limiter.keep(t):
                continue
            ok, image = cap.retrieve()
            if not ok or image is None:
                break
            if image.shape[0] * image.shape[1] > MAX_PIXELS:
                raise InputError(
                    f"{path}: frame size {image.shape[1]}x{image.shape[0]} is larger than 8K "
                    f"({MAX_PIXELS} pixels); downscale the video first"
                )
            if realtime:
                delay = start_wall + t - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield VideoFrame(index=index - 1, timestamp_s=float(t), image=image)
            yielded += 1
    finally:
        cap.release()
    if yielded == 0:
        raise InputError(f"{path}: no frame could be decoded (truncated or not a video)")
