"""End-to-end speed of `edge-emo run` per stage, and of MediaPipe alone, at several resolutions.

    taskset -c 0 python -m edge_emo.benchmarks.pipeline_speed tests/data/face_clip.mp4 --sizes 640x480 1280x720

The clip is first re-encoded at each size (OpenCV, mp4v) into a temp folder so decoding
is measured at that size. Stages: decode (OpenCV), landmarks (FaceLandmarker VIDEO mode
+ 478->68), normalise, model (LiteRT), other (resampling, windowing, timeline).
"MediaPipe alone" is decode + FaceLandmarker on the same frames with nothing else.
Run it under `taskset -c 0` for one-core figures.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

from edge_runtime.face_landmarks import FaceLandmarker
from edge_runtime.pipeline import EmotionPipeline, PipelineOptions
from edge_runtime.sources.video import read_video


def scaled_copy(
    source: Path, width: int, height: int, folder: Path, max_frames: int | None = None
) -> Path:
    """The clip re-encoded at width x height (mp4v, the source's rate), first `max_frames` only."""
    import cv2

    from edge_runtime.sources.video import probe_video

    fps = probe_video(source).nominal_fps or 30.0
    out = folder / f"{source.stem}_{width}x{height}.mp4"
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in itertools.islice(read_video(source), max_frames):
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
    """End-to-end `edge-emo run` work on a file (no output writing), with time per stage."""
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
    """The ceiling: decode + FaceLandmarker (VIDEO mode) on the same frames, nothing else."""
    with FaceLandmarker.create() as landmarker:
        start = time.perf_counter()
        frames = 0
        for frame in read_video(path):
            landmarker.detect(frame)
            frames += 1
        total = time.perf_counter() - start
    return {"frames": frames, "fps": frames / total}


def measure_sizes(video: Path, sizes: list[str], max_frames: int | None = None) -> list[dict]:
    """For each WIDTHxHEIGHT: the pipeline, MediaPipe alone, and their fps ratio."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            width, height = (int(v) for v in size.lower().split("x"))
            clip = scaled_copy(video, width, height, Path(tmp), max_frames)
            alone = measure_mediapipe_alone(clip)
            run = measure_pipeline(clip)
            rows.append(
                {
                    "size": f"{width}x{height}",
                    "frames": run["frames"],
                    "end_to_end_fps": round(run["fps"], 1),
                    "mediapipe_alone_fps": round(alone["fps"], 1),
                    "ratio_to_mediapipe_alone": round(run["fps"] / alone["fps"], 3),
                    "stage_ms_per_frame": {
                        k: round(1000 * v / max(run["frames"], 1), 3)
                        for k, v in sorted(run["stages"].items(), key=lambda kv: -kv[1])
                    },
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--sizes", nargs="+", default=["640x480", "1280x720"])
    parser.add_argument("--max-frames", type=int)
    args = parser.parse_args()
    for row in measure_sizes(args.video, args.sizes, args.max_frames):
        stages = ", ".join(f"{k} {v:.2f}" for k, v in row["stage_ms_per_frame"].items())
        print(
            f"{row['size']}: {row['frames']} frames, end-to-end {row['end_to_end_fps']} fps, "
            f"MediaPipe alone {row['mediapipe_alone_fps']} fps (ratio {row['ratio_to_mediapipe_alone']:.2f}); "
            f"ms per frame: {stages}"
        )


if __name__ == "__main__":
    main()
