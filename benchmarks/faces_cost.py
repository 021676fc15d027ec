"""What each extra face costs FaceLandmarker (VIDEO mode): 1-4 real faces in one 1280x720 frame.

    taskset -c 0 python -m edge_emo.benchmarks.faces_cost tests/data/face_clip.mp4 --frames 240

Each frame is a 2x2 grid of 640x360 tiles: tile i shows the clip 2.5 s * i later (so the
faces differ), unused tiles are black. Timed: `detect_all` (landmarks of every face, as
multi-face tracking will need) with `max_faces` 4, per frame, for 1, 2, 3 and 4 faces,
and the default `max_faces` 1 on the one-face frames for reference.
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
        ms, found = time_faces(frames, 4)
        rows.append(
            {
                "faces": faces,
                "max_faces": 4,
                "ms_per_frame": round(ms, 2),
                "faces_found": round(found, 2),
            }
        )
        print(rows[-1], flush=True)
        if faces == 1:
            ms, found = time_faces(frames, 1)
            rows.append(
                {
                    "faces": 1,
                    "max_faces": 1,
                    "ms_per_frame": round(ms, 2),
                    "faces_found": round(found, 2),
                }
            )
            print(rows[-1], flush=True)
    multi = [r for r in rows if r["max_faces"] == 4]
    extra = np.polyfit([r["faces"] for r in multi], [r["ms_per_frame"] for r in multi], 1)[0]
    emit({"clip": str(args.clip), "frames": args.frames, "rows": rows,
          "ms_per_extra_face": round(float(extra), 2)}, args.json)  # fmt: skip


if __name__ == "__main__":
    main()
