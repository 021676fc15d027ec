"""Small faces: how many frames find a face, and at what cost, with and without the zoom.

    python -m edge_emo.benchmarks.zoom_cost VIDEO [--json out.json]
    python -m edge_emo.benchmarks.zoom_cost tests/data/face_clip.mp4 --shrink 0.3
    python -m edge_emo.benchmarks.zoom_cost tests/data/face_clip.mp4 --shrink 0.3 \
        --write far.mp4 --frames 90     # only write such a video (the emulated-Pi check)

FaceLandmarker in VIDEO mode over every frame of VIDEO, the whole frame only
(`zoom=None`) and with the default small-face zoom (edge_runtime/zoom.py): frames with a
face and mean milliseconds a frame. `--shrink S` first shrinks each frame by S into a
plain 1280x720 frame (a face across the room, made from a close one).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import cv2
import numpy as np

from edge_emo.benchmarks.machine import emit
from edge_runtime.face_landmarks import FaceLandmarker, FaceLandmarkerOptions
from edge_runtime.sources.video import VideoFrame, read_video
from edge_runtime.zoom import ZoomOptions


def far(frame: VideoFrame, shrink: float) -> VideoFrame:
    """`frame` shrunk by `shrink` into the lower right of a plain 1280x720 frame."""
    canvas = np.full((720, 1280, 3), 90, np.uint8)
    small = cv2.resize(frame.image, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
    h, w = min(small.shape[0], 720), min(small.shape[1], 1280)
    canvas[720 - h :, 1280 - w :] = small[:h, :w]
    return dataclasses.replace(frame, image=canvas)


def write(video: Path, shrink: float, target: Path, frames: int) -> None:
    """The first `frames` frames of `video`, shrunk by `shrink` as `far` does, as an mp4."""
    writer = None
    for i, frame in enumerate(read_video(video)):
        if i == frames:
            break
        image = far(frame, shrink).image
        if writer is None:
            fourcc = cv2.VideoWriter_fourcc(*"mp4v")
            writer = cv2.VideoWriter(str(target), fourcc, 30.0, image.shape[1::-1])
        writer.write(image)
    if writer is not None:
        writer.release()


def measure(video: Path, zoom: ZoomOptions | None, shrink: float | None) -> dict:
    found = frames = 0
    start = time.perf_counter()
    with FaceLandmarker.create(FaceLandmarkerOptions(zoom=zoom)) as landmarker:
        for frame in read_video(video):
            found += landmarker.detect(far(frame, shrink) if shrink else frame) is not None
            frames += 1
    elapsed = time.perf_counter() - start
    return {"frames": frames, "with_face": found, "ms_per_frame": round(1000 * elapsed / frames, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--shrink", type=float)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--write", type=Path, help="write the shrunk frames as a video and stop")
    parser.add_argument("--frames", type=int, default=90, help="frames to --write (at 30 fps)")
    args = parser.parse_args()
    if args.write:
        write(args.video, args.shrink or 1.0, args.write, args.frames)
        return
    emit({"video": str(args.video), "shrink": args.shrink,
          "whole_frame": measure(args.video, None, args.shrink),
          "zoom": measure(args.video, ZoomOptions(), args.shrink)}, args.json)  # fmt: skip


if __name__ == "__main__":
    main()
