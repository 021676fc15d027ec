"""Cameras as generators of frames stamped with their capture time.

The stamp is the driver's own capture time when OpenCV exposes it (V4L2 buffers carry a
CLOCK_MONOTONIC timestamp, which CAP_PROP_POS_MSEC returns), else the moment the frame
was read. Read by `LatestFrame` (latest.py) on its own thread, a frame is read as soon
as the driver has it, so even the fallback is within a frame interval of capture.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from edge_runtime.cancel import raise_if_stopped
from edge_runtime.errors import InputError
from edge_runtime.sources.rate import FrameRateLimiter
from edge_runtime.sources.video import VideoFrame, load_cv2

log = logging.getLogger(__name__)

MAX_CAPTURE_AGE_S = 1.0
"""A driver timestamp older than this when the frame is read is not trusted (wrong clock)."""


def capture_time(buffer_ms: float, read_at: float) -> float:
    """The capture time on the monotonic clock: the driver's stamp if plausible, else `read_at`.

    Plausible means on the same clock and not in the future: at most MAX_CAPTURE_AGE_S
    before the read. Backends that report 0, a frame count or wall-clock time fail that.
    """
    stamp = buffer_ms / 1000.0
    if 0.0 <= read_at - stamp <= MAX_CAPTURE_AGE_S:
        return stamp
    return read_at


def read_camera(
    device: int,
    *,
    width: int | None = None,
    height: int | None = None,
    reconnect_attempts: int = 10,
    reconnect_wait_s: float = 1.0,
    limiter: FrameRateLimiter | None = None,
) -> Iterator[VideoFrame]:
    """Yield frames from camera `device`, timestamped in seconds since it was opened.

    A camera that stops delivering frames is reopened up to `reconnect_attempts`
    times in a row, `reconnect_wait_s` apart, before InputError is raised. Frames the
    `limiter` (`--max-fps`) skips are grabbed (so the driver's queue keeps moving) but
    not converted.
    """
    cv2 = load_cv2()
    start = time.monotonic()
    index = 0
    failures = 0
    last_t = -1e-3
    while True:
        cap = cv2.VideoCapture(device)
        if width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        try:
            while cap.isOpened():
                raise_if_stopped()
                if not cap.grab():
                    break
                read_at = time.monotonic()
                t = capture_time(cap.get(cv2.CAP_PROP_POS_MSEC), read_at) - start
                t = max(t, last_t + 1e-3)  # from 0, strictly increasing, also across reconnections
                last_t = t
                index += 1
                failures = 0
                if limiter is not None and not limiter.keep(t):
                    continue
                ok, image = cap.retrieve()
                if not ok or image is None:
                    break
                yield VideoFrame(index=index - 1, timestamp_s=t, image=image)
        finally:
            cap.release()
        failures += 1
        if failures > reconnect_attempts:
            raise InputError(
                f"camera {device}: no frames after {reconnect_attempts} reconnection attempts"
            )
        log.warning(
            "camera %s: no frame; reconnecting (%d/%d)", device, failures, reconnect_attempts
        )
        time.sleep(reconnect_wait_s)
