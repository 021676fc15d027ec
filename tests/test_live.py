"""The live path on a slow device: newest-frame reading, capture times and --max-fps."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
from conftest import FACE_CLIP

from edge_runtime import run as runner
from edge_runtime.errors import InputError
from edge_runtime.face_landmarks import FaceLandmarker
from edge_runtime.sources.camera import MAX_CAPTURE_AGE_S, capture_time
from edge_runtime.sources.latest import LatestFrame
from edge_runtime.sources.rate import FrameRateLimiter
from edge_runtime.sources.video import VideoFrame, read_video

PIXELS = np.zeros((2, 2, 3), np.uint8)


# ------------------------------------------------------------------ --max-fps, pure


@pytest.mark.parametrize(("source_fps", "cap", "kept"), [(30, 10, 100), (30, 12, 120),
                         (30, 15, 150), (30, 7.5, 75), (25, 10, 100), (30, 30, 300)])  # fmt: skip
def test_rate_limiter_keeps_the_cap_per_second_whatever_the_source_rate(source_fps, cap, kept):
    limiter = FrameRateLimiter(cap)
    times = np.arange(10 * source_fps) / source_fps  # 10 s
    flags = [limiter.keep(float(t)) for t in times]
    assert sum(flags) == kept and flags[0]
    assert limiter.kept == kept and limiter.skipped == len(times) - kept
    assert limiter.seen == len(times) and limiter.last_timestamp_s == times[-1]


def test_rate_limiter_with_jittered_camera_stamps_and_no_cap():
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.uniform(0.028, 0.039, 900))  # a 30 fps camera's uneven intervals
    capped = FrameRateLimiter(10)
    kept = [t for t in times if capped.keep(float(t))]
    span = times[-1] - times[0]
    assert abs(len(kept) / span - 10) < 0.2
    assert np.diff(kept).max() < 0.1 + 0.04  # never a gap longer than one slot plus a frame
    assert all(FrameRateLimiter(None).keep(float(t)) for t in times)
    with pytest.raises(ValueError):
        FrameRateLimiter(0)


# ------------------------------------------------------------------ capture times, pure


def test_capture_time_uses_the_driver_stamp_only_when_it_is_on_our_clock():
    now = 1000.0
    assert capture_time(999_960.0, now) == pytest.approx(999.96)  # V4L2 stamp, 40 ms old
    assert capture_time(0.0, now) == now  # backend without stamps
    assert capture_time(1_700_000_000_000.0, now) == now  # wall-clock stamp: another clock
    assert capture_time((now + 0.01) * 1000, now) == now  # from the future: not trusted
    assert capture_time((now - MAX_CAPTURE_AGE_S - 0.1) * 1000, now) == now  # too old


# ------------------------------------------------------------------ newest-frame reader


def paced(n: int, interval_s: float, fail_after: int | None = None, closed=None):
    """n tiny frames, one every interval_s of real time, stamped with source time."""
    try:
        for i in range(n):
            if fail_after is not None and i == fail_after:
                raise InputError("camera 0: gone")
            time.sleep(interval_s)
            yield VideoFrame(index=i, timestamp_s=i * interval_s, image=PIXELS)
    finally:
        if closed is not None:
            closed.set()


def test_a_slow_consumer_gets_the_newest_frames_and_the_rest_are_counted_as_dropped():
    taken = []
    with LatestFrame(paced(100, 0.005)) as live:
        for frame in live:
            taken.append(frame.index)
            time.sleep(0.05)  # ten source frames per consumed frame (fewer on a busy machine)
    counts = live.counts
    assert counts.read == 100 and counts.analysed == len(taken)
    assert counts.dropped == 100 - len(taken) and counts.dropped > 40
    assert taken == sorted(set(taken))  # in order, never twice
    assert taken[-1] == 99  # the newest frame is never lost, not even the last one
    assert max(np.diff(taken)) > 1  # stale frames were skipped, not queued


def test_a_fast_consumer_gets_nearly_every_frame_and_a_lag_near_zero():
    lags = []
    with LatestFrame(paced(30, 0.03)) as live:
        for frame in live:
            lags.append(live.lag_s(frame.timestamp_s))
    counts = live.counts
    assert counts.read == 30 and counts.analysed + counts.dropped == 30
    assert counts.analysed >= 20  # only a consumer stalled for 30 ms at a time misses one
    assert max(lags) < 0.5 and live.origin is not None


def test_source_errors_reach_the_consumer_after_the_frames_before_them():
    with pytest.raises(InputError, match="gone"), LatestFrame(paced(10, 0.001, 3)) as live:
        for _ in live:
            time.sleep(0.01)
    assert live.counts.read == 3


def test_closing_stops_the_reader_and_releases_the_source():
    closed = threading.Event()
    live = LatestFrame(paced(10_000, 0.002, closed=closed))
    for i, _ in enumerate(live):
        if i == 3:
            break
    live.close()
    assert closed.is_set() and not live._thread.is_alive()


# ------------------------------------------------------------------ the real camera path


def test_camera_path_stays_current_when_processing_is_slower_than_real_time(tmp_path, monkeypatch):
    """A 24 fps replay with 90 ms extra per frame (at most ~10 fps analysed): before, the
    frames queued and the lag grew by about a second per second; now stale frames are
    dropped, the lag stays bounded and the timeline has every second."""
    detect = FaceLandmarker.detect

    def slow_detect(self, frame):
        time.sleep(0.09)
        return detect(self, frame)

    monkeypatch.setattr(FaceLandmarker, "detect", slow_detect)
    out = tmp_path / "live.jsonl"
    code = runner.run_camera(camera=None, camera_file=FACE_CLIP, model=None, output=out,
                             fmt="jsonl", show=False, smoothing=0.5, seconds=8, threads=1,
                             quiet=True)  # fmt: skip
    assert code == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    seconds, end = [x for x in lines if x["type"] == "second"], lines[-1]
    assert [s["t"] for s in seconds] == list(range(8)) and all(s["face"] for s in seconds)
    live = end["live"]
    assert live["frames_read"] >= 180  # 8 s at 24 fps, all taken from the source
    assert live["frames_dropped"] > 60 and live["analysed_fps"] < 12
    assert live["frames_analysed"] + live["frames_dropped"] == live["frames_read"]
    assert 0 <= live["lag_s"]["mean"] <= live["lag_s"]["max"] < 1.5


def test_max_fps_on_a_file_analyses_fewer_frames_and_keeps_every_second(tmp_path):
    full = runner.run_one(FACE_CLIP, tmp_path / "full.json", "json", False, None, 1)
    capped = runner.run_one(FACE_CLIP, tmp_path / "capped.json", "json", False, None, 1, 8.0)
    a = json.loads((tmp_path / "full.json").read_text())
    b = json.loads((tmp_path / "capped.json").read_text())
    assert full.frames == 472 and "max_fps" not in a["window"] and "frames_skipped" not in a
    assert b["window"]["max_fps"] == 8.0 and capped.frames == b["frames"]
    assert b["frames"] + b["frames_skipped"] == 472 and abs(b["frames"] - 8 * 19.7) <= 2
    assert b["duration_s"] == a["duration_s"]  # the duration of the video, not of kept frames
    assert [s["t"] for s in b["seconds"]] == [s["t"] for s in a["seconds"]]
    agree = sum(x["top"] == y["top"] for x, y in zip(a["seconds"], b["seconds"], strict=True))
    assert agree >= 0.8 * len(a["seconds"])  # interpolated windows still read the same face


def test_skipped_frames_are_never_converted_but_keep_their_source_index():
    limiter = FrameRateLimiter(6)
    frames = list(read_video(FACE_CLIP, limiter=limiter))
    assert len(frames) == limiter.kept and limiter.seen == 472
    assert frames[0].index == 0 and frames[1].index == 4  # 23.976 fps: every 4th frame
    assert all(f.image.shape == (360, 640, 3) for f in frames)
