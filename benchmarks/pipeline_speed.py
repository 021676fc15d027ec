"""End-to-end speed of `edge-emo run` per stage, and of MediaPipe alone, at several resolutions.

    taskset -c 0 python benchmarks/pipeline_speed.py tests/data/face_clip.mp4 --sizes 640x480 1280x720

The clip is first re-encoded at each size (OpenCV, mp4v) into a temp folder so decoding
is measured at that size. Stages: decode (OpenCV), landmarks (FaceLandmarker VIDEO mode
+ 478->68), normalise, model (LiteRT), other (resampling, windowing, timeline).
"MediaPipe alone" is decode + FaceLandmarker on the same frames with nothing else.
Run it under `taskset -c 0` for one-core figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from edge_runtime.face_landmarks import FaceLandmarker
from edge_runtime.pipeline import EmotionPipeline, PipelineOptions
from edge_runtime.video import read_video


def scaled_copy(source: Path, width: int, height: int, folder: Path) -> Path:
    import cv2

    out = folder / f"{source.stem}_{width}x{height}.mp4"
    writer = None
    for frame in read_video(source):
        if writer is None:
            fps = 24.0
            writer = cv2.VideoWriter(
                str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height)
            )
        writer.write(cv2.resize(frame.image, (width, height), interpolation=cv2.INTER_AREA))
    writer.release()
    return out


def timed_frames(path: Path, clock: dict):
    """Frames of `path`, adding the time spent decoding to clock['decode']."""
    frames = read_video(path)
    while True:
        start = time.perf_counter()
        try:
            frame = next(frames)
        except StopIteration:
            return
        clock["decode"] += time.perf_counter() - start
        yield frame


def measure_pipeline(path: Path) -> dict:
    clock = {"decode": 0.0}
    with EmotionPipeline.create(PipelineOptions()) as pipeline:
        start = time.perf_counter()
        seconds = sum(1 for _ in pipeline.run(timed_frames(path, clock)))
        total = time.perf_counter() - start
        stages = dict(pipeline.times.seconds)
        frames = pipeline.times.frames
    stages["decode"] = clock["decode"]
    stages["other"] = total - sum(stages.values())
    return {
        "frames": frames,
        "seconds_out": seconds,
        "total_s": total,
        "fps": frames / total,
        "stages": stages,
    }


def measure_mediapipe_alone(path: Path) -> dict:
    with FaceLandmarker.create() as landmarker:
        start = time.perf_counter()
        frames = 0
        for frame in read_video(path):
            landmarker.detect(frame)
            frames += 1
        total = time.perf_counter() - start
    return {"frames": frames, "fps": frames / total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--sizes", nargs="+", default=["640x480", "1280x720"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            width, height = (int(v) for v in size.split("x"))
            clip = scaled_copy(args.video, width, height, Path(tmp))
            alone = measure_mediapipe_alone(clip)
            run = measure_pipeline(clip)
            shares = ", ".join(
                f"{k} {100 * v / run['total_s']:.1f}%"
                for k, v in sorted(run["stages"].items(), key=lambda kv: -kv[1])
            )
            print(
                f"{size}: {run['frames']} frames, end-to-end {run['fps']:.1f} fps, MediaPipe alone {alone['fps']:.1f} fps "
                f"(ratio {run['fps'] / alone['fps']:.2f}); time per stage: {shares}"
            )


if __name__ == "__main__":
    main()
