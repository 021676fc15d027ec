"""Lag of the live path when processing is slower than the camera: newest-first vs in order.

    python -m edge_emo.benchmarks.live_lag tests/data/face_clip.mp4 --extra-ms 60 --seconds 19

The clip is replayed at real-time pace (the `--camera-file` source) through the causal
pipeline, with `--extra-ms` of artificial cost per analysed frame standing in for a
slower CPU. Two ways of reading the source are compared:

- **in order**: the frame loop reads the next frame when it is ready for one (how the
  camera path read before sources/latest.py): frames wait, and the lag grows;
- **newest first**: `LatestFrame` (what `edge-emo run --camera` does): stale frames are dropped.

Lag of a second t = the moment it is produced minus the moment the source reached t + 1 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from edge_emo.benchmarks.machine import emit
from edge_runtime.face_landmarks import FaceLandmarker
from edge_runtime.pipeline import EmotionPipeline, PipelineOptions
from edge_runtime.sources.latest import LatestFrame
from edge_runtime.sources.rate import FrameRateLimiter
from edge_runtime.sources.video import read_video


class SlowLandmarker:
    """The real landmarker plus a fixed busy-wait per frame (CPU time, like a slower core)."""

    def __init__(self, landmarker: FaceLandmarker, extra_s: float) -> None:
        self.landmarker, self.extra_s = landmarker, extra_s

    def detect(self, frame):
        end = time.perf_counter() + self.extra_s
        observation = self.landmarker.detect(frame)
        while time.perf_counter() < end:
            pass
        return observation

    def close(self) -> None:
        self.landmarker.close()


def until(frames, seconds: float):
    for frame in frames:
        if frame.timestamp_s > seconds:
            return
        yield frame


def measure(clip: Path, seconds: float, extra_ms: float, newest_first: bool, max_fps=None) -> dict:
    options = PipelineOptions(mode="causal", smoothing=0.5)
    limiter = FrameRateLimiter(max_fps)
    with EmotionPipeline.create(options) as pipeline:
        pipeline.landmarker = SlowLandmarker(pipeline.landmarker, extra_ms / 1000.0)
        source = until(read_video(clip, realtime=True, limiter=limiter), seconds)
        lags = []
        if newest_first:
            with LatestFrame(source) as live:
                for entry in pipeline.run(live):
                    lags.append(live.lag_s(entry.t + 1))
            counts = live.counts
            read, analysed = counts.read, counts.analysed
        else:
            origin = time.monotonic()  # read_video's clock starts at its first frame
            for entry in pipeline.run(source):
                lags.append(time.monotonic() - origin - (entry.t + 1))
            read = analysed = pipeline.times.frames
    return {
        "reading": "newest first" if newest_first else "in order",
        "extra_ms_per_frame": extra_ms,
        "max_fps": max_fps,
        "seconds": len(lags),
        "frames_read": read,
        "frames_analysed": analysed,
        "analysed_fps": round(analysed / seconds, 1),
        "lag_s": {
            "first": round(lags[0], 2),
            "median": round(statistics.median(lags), 2),
            "max": round(max(lags), 2),
            "last": round(lags[-1], 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("--seconds", type=float, default=19.0)
    parser.add_argument("--extra-ms", type=float, nargs="+", default=[0.0, 30.0, 60.0])
    parser.add_argument("--max-fps", type=float)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = []
    for extra in args.extra_ms:
        for newest_first in (False, True):
            row = measure(args.clip, args.seconds, extra, newest_first, args.max_fps)
            print(json.dumps(row), file=sys.stderr)
            rows.append(row)
    emit({"clip": str(args.clip), "runs": rows}, args.json)


if __name__ == "__main__":
    main()
