"""What each extra face costs: 1-4 real faces in one 1280x720 frame.

    taskset -c 0 python -m edge_emo.benchmarks.faces_cost tests/data/face_clip.mp4 --frames 240

Each frame is a 2x2 grid of 640x360 tiles: tile i shows the clip 2.5 s * i later (so the
faces differ), unused tiles are black. Timed per frame, for 1, 2, 3 and 4 faces:
FaceLandmarker's `detect_all` with `max_faces` 4, and the whole pipeline of
`edge-emo run --max-faces 4` (landmarks, tracking, a resampler, windows and classifier
per person, timelines); the default `max_faces` 1 on the one-face frames for reference.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from pathlib import Path

import numpy as np

from edge_emo.benchmarks.machine import emit
from edge_runtime.face_landmarks import FaceLandmarker, FaceLandmarkerOptions
from edge_runtime.pipeline import EmotionPipeline, PipelineOptions
from edge_runtime.sources.video import VideoFrame, read_video


def grid_frames(clip: Path, faces: int, count: int, offset: int) -> list[VideoFrame]:
    source = [f.image for f in itertools.islice(read_video(clip), count + offset * 3)]
    frames = []
    for k in range(count):
        canvas = np.zeros((720, 1280, 3), np.uint8)
        for i in range(faces):
            row, col = divmod(i, 2)
            canvas[360 * row : 360 * (row + 1), 640 * col : 640 * (col + 1)] = source[
                k + offset * i
            ]
        frames.append(VideoFrame(k, k / 24.0, canvas))
    return frames


def time_faces(frames: list[VideoFrame], max_faces: int) -> tuple[float, float]:
    """(median ms per frame, mean faces found) over the frames, after a warm-up of 10."""
    times, found = [], []
    with FaceLandmarker.create(FaceLandmarkerOptions(max_faces=max_faces)) as landmarker:
        for i, frame in enumerate(frames):
            start = time.perf_counter()
            faces = landmarker.detect_all(frame)
            if i >= 10:
                times.append(1000 * (time.perf_counter() - start))
                found.append(len(faces))
    return statistics.median(times), float(np.mean(found))


def time_pipeline(frames: list[VideoFrame], max_faces: int) -> tuple[float, int]:
    """(mean ms per frame, people reported) of the whole pipeline over the frames."""
    options = PipelineOptions(face=FaceLandmarkerOptions(max_faces=max_faces))
    with EmotionPipeline.create(options) as pipeline:
        start = time.perf_counter()
        entries = list(pipeline.run(iter(frames)))
        elapsed = time.perf_counter() - start
    people = len({e.track for e in entries})
    return 1000 * elapsed / len(frames), people


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("--frames", type=int, default=240)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    offset = 60  # 2.5 s at 24 fps
    rows = []
    for faces in (1, 2, 3, 4):
        frames = grid_frames(args.clip, faces, args.frames, offset)
        for max_faces in (4, 1) if faces == 1 else (4,):
            ms, found = time_faces(frames, max_faces)
            run_ms, people = time_pipeline(frames, max_faces)
            rows.append({"faces": faces, "max_faces": max_faces,
                         "landmarker_ms_per_frame": round(ms, 2), "faces_found": round(found, 2),
                         "run_ms_per_frame": round(run_ms, 2), "people": people})  # fmt: skip
            print(rows[-1], flush=True)
    multi = [r for r in rows if r["max_faces"] == 4]
    count = [r["faces"] for r in multi]
    extra = np.polyfit(count, [r["landmarker_ms_per_frame"] for r in multi], 1)[0]
    extra_run = np.polyfit(count, [r["run_ms_per_frame"] for r in multi], 1)[0]
    emit({"clip": str(args.clip), "frames": args.frames, "rows": rows,
          "landmarker_ms_per_extra_face": round(float(extra), 2),
          "run_ms_per_extra_face": round(float(extra_run), 2)}, args.json)  # fmt: skip


if __name__ == "__main__":
    main()
