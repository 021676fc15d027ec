"""Frame sources: PTS timestamps, size limits and camera reconnection (with a stand-in camera)."""

from __future__ import annotations

import itertools
import time
from typing import ClassVar

import numpy as np
import pytest
from conftest import DATA, FACE_CLIP

from edge_runtime.errors import InputError
from edge_runtime.sources import camera, video


def test_file_timestamps_are_the_container_pts():
    frames = list(video.read_video(DATA / "vfr_24_12fps.mp4"))
    steps = np.round(np.diff([f.timestamp_s for f in frames]), 3)
    assert set(steps[:60]) == {0.042} and set(steps[-30:]) == {0.083}  # 24 fps, then 12 fps
    info = video.probe_video(FACE_CLIP)
    assert (info.width, info.height, info.frame_count) == (640, 360, 472)


class FakeCapture:
    """A camera that delivers `plan[k]` frames on its k-th opening, then stops."""

    plan: ClassVar[list[int]] = []
    opened = 0

    def __init__(self, device):
        FakeCapture.opened += 1
        self.left = type(self).plan.pop(0) if type(self).plan else 0

    def set(self, *args):
        return True

    def isOpened(self):
        return True

    def grab(self):
        if self.left <= 0:
            return False
        self.left -= 1
        return True

    def retrieve(self):
        return True, np.zeros((48, 64, 3), np.uint8)

    def get(self, prop):
        return 0.0  # no driver timestamp: frames are stamped when read

    def release(self):
        pass


class StampingCapture(FakeCapture):
    """A V4L2-like camera: each frame carries its capture time on the monotonic clock (ms),
    here 40 ms apart, all captured during its half-second start-up, read at once after."""

    def __init__(self, device):
        super().__init__(device)
        time.sleep(0.5)
        self.stamp_ms = (time.monotonic() - 0.45) * 1000

    def grab(self):
        self.stamp_ms += 40.0
        return super().grab()

    def get(self, prop):
        return self.stamp_ms

    def release(self):
        pass


@pytest.fixture
def fake_camera(monkeypatch):
    import cv2

    monkeypatch.setattr(cv2, "VideoCapture", FakeCapture)
    FakeCapture.opened = 0
    return FakeCapture


def test_camera_that_disconnects_is_reopened(fake_camera):
    fake_camera.plan = [3, 0, 2]  # 3 frames, a failed reopen, then 2 more frames
    frames = []
    with pytest.raises(InputError, match="no frames after 2 reconnection attempts"):
        for frame in camera.read_camera(0, reconnect_attempts=2, reconnect_wait_s=0):
            frames.append(frame)
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    assert all(b.timestamp_s >= a.timestamp_s for a, b in itertools.pairwise(frames))
    # opens: 3 frames, empty, 2 frames (resets the count), then 2 empty retries and it gives up
    assert fake_camera.opened == 5


def test_camera_frames_carry_the_driver_capture_time(monkeypatch):
    import cv2

    monkeypatch.setattr(cv2, "VideoCapture", StampingCapture)
    monkeypatch.setattr(camera, "MAX_CAPTURE_AGE_S", 60.0)  # however slowly this test runs
    StampingCapture.plan = [10]
    frames = []
    with pytest.raises(InputError):
        for frame in camera.read_camera(0, reconnect_attempts=0):
            frames.append(frame)
    steps = np.diff([f.timestamp_s for f in frames])
    assert len(frames) == 10 and np.allclose(steps, 0.04)  # not the (instant) read times


def test_oversized_frames_are_refused(monkeypatch):
    monkeypatch.setattr(video, "MAX_PIXELS", 640 * 100)
    with pytest.raises(InputError, match="larger than 8K"):
        next(video.read_video(FACE_CLIP))
