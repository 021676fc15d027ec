"""Frame sources: PTS timestamps, size limits and camera reconnection (with a stand-in camera)."""

from __future__ import annotations

import itertools
from typing import ClassVar

import numpy as np
import pytest
from conftest import DATA, FACE_CLIP

from edge_runtime import video
from edge_runtime.errors import InputError


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
        self.left = FakeCapture.plan.pop(0) if FakeCapture.plan else 0

    def set(self, *args):
        return True

    def isOpened(self):
        return True

    def read(self):
        if self.left <= 0:
            return False, None
        self.left -= 1
        return True, np.zeros((48, 64, 3), np.uint8)

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
        for frame in video.read_camera(0, reconnect_attempts=2, reconnect_wait_s=0):
            frames.append(frame)
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    assert all(b.timestamp_s >= a.timestamp_s for a, b in itertools.pairwise(frames))
    # opens: 3 frames, empty, 2 frames (resets the count), then 2 empty retries and it gives up
    assert fake_camera.opened == 5


def test_oversized_frames_are_refused(monkeypatch):
    monkeypatch.setattr(video, "MAX_PIXELS", 640 * 100)
    with pytest.raises(InputError, match="larger than 8K"):
        next(video.read_video(FACE_CLIP))
