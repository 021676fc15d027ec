"""Speed as a user measures it: the whole `edge-emo run` process vs decode + FaceLandmarker alone.

    python -m edge_emo.benchmarks.process_speed tests/data/face_clip.mp4 --loops 5 --runs 5 --core 0

The clip is looped `--loops` times into one long file (OpenCV, mp4v, the clip's rate), so
both sides decode the same frames. Then, alternately and each in a fresh process pinned
to one core (`taskset -c CORE`):

- **run**: `edge-emo run LONG -o out.json` timed from launch to exit: start-up, model
  loading, decoding, the whole pipeline and writing the timeline, all included;
- **MediaPipe alone**: OpenCV decode + BGR->RGB + FaceLandmarker (VIDEO mode, the same
  model bytes) on the same frames, nothing else, timed over its frame loop only (its
  start-up is left out, which makes the comparison stricter for `run`).

The figure that matters is the ratio of the medians (run fps / MediaPipe-alone fps).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from edge_emo.benchmarks.machine import emit

MEDIAPIPE_ALONE = """
import os, sys, time
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
import cv2
from edge_runtime._mediapipe import load_vision
from edge_runtime.assets import face_landmarker_bytes
mp, vision, BaseOptions = load_vision()
options = vision.FaceLandmarkerOptions(
    base_options=BaseOptions(model_asset_buffer=face_landmarker_bytes(None)),
    running_mode=vision.RunningMode.VIDEO, num_faces=1)
landmarker = vision.FaceLandmarker.create_from_options(options)
cap = cv2.VideoCapture(sys.argv[1])
frames = faces = 0
start = time.perf_counter()
while True:
    ok, bgr = cap.read()
    if not ok:
        break
    ms = int(cap.get(cv2.CAP_PROP_POS_MSEC))
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    result = landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), max(ms, frames))
    frames += 1
    faces += bool(result.face_landmarks)
print(frames, faces, time.perf_counter() - start)
"""


def looped_clip(source: Path, loops: int, folder: Path) -> tuple[Path, int]:
    """`source` played `loops` times in a row as one mp4v file; returns (path, frames)."""
    import cv2

    from edge_runtime.sources.video import probe_video, read_video

    info = probe_video(source)
    out = folder / f"{source.stem}_x{loops}.mp4"
    fourcc = cv2.VideoWriter_fourcc(*"mp4v")
    writer = cv2.VideoWriter(str(out), fourcc, info.nominal_fps or 30.0, (info.width, info.height))
    frames = 0
    for _ in range(loops):
        for frame in read_video(source):
            writer.write(frame.image)
            frames += 1
    writer.release()
    return out, frames


def pinned(command: list[str], core: int | None) -> list[str]:
    """`command` under `taskset -c core` (when asked for and taskset exists)."""
    if core is None:
        return command
    taskset = shutil.which("taskset")
    if taskset is None:
        raise SystemExit("taskset not found (util-linux); run without --core")
    return [taskset, "-c", str(core), *command]


def edge_emo_command() -> list[str]:
    """The installed `edge-emo` script beside this interpreter, else `python -m edge_runtime.cli`."""
    script = Path(sys.executable).with_name("edge-emo")
    return [str(script)] if script.exists() else [sys.executable, "-m", "edge_runtime.cli"]


def time_run(clip: Path, out: Path, core: int | None, extra: list[str]) -> float:
    """Seconds from launching `edge-emo run` to its exit."""
    command = pinned(
        [*edge_emo_command(), "run", str(clip), "-o", str(out), "--overwrite", "-q"], core
    )
    start = time.perf_counter()
    done = subprocess.run([*command, *extra], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"edge-emo run failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return wall


def time_mediapipe_alone(clip: Path, core: int | None) -> tuple[int, int, float]:
    """(frames, frames with a face, seconds in the frame loop) of MediaPipe alone."""
    command = pinned([sys.executable, "-c", MEDIAPIPE_ALONE, str(clip)], core)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"MediaPipe-alone child failed: {done.stderr.strip()[-500:]}")
    frames, faces, seconds = done.stdout.split()[-3:]
    return int(frames), int(faces), float(seconds)


def spread(values: list[float]) -> dict:
    return {
        "min": round(min(values), 2),
        "median": round(statistics.median(values), 2),
        "max": round(max(values), 2),
        "runs": [round(v, 2) for v in values],
    }


def measure(
    clip: Path, loops: int, runs: int, core: int | None, extra: list[str], log=print
) -> dict:
    """Alternate `run` and MediaPipe-alone `runs` times each on the looped clip."""
    with tempfile.TemporaryDirectory(prefix="edge-emo-speed-") as tmp:
        long_clip, frames = looped_clip(clip, loops, Path(tmp))
        run_fps, alone_fps = [], []
        for i in range(runs):
            wall = time_run(long_clip, Path(tmp) / "out.json", core, extra)
            timeline = json.loads((Path(tmp) / "out.json").read_text())
            assert timeline["frames"] == frames, "run did not see every frame"
            run_fps.append(frames / wall)
            counted, faces, loop_s = time_mediapipe_alone(long_clip, core)
            assert counted == frames, "MediaPipe alone did not see every frame"
            alone_fps.append(frames / loop_s)
            log(
                f"round {i + 1}/{runs}: run {run_fps[-1]:.1f} fps, MediaPipe alone {alone_fps[-1]:.1f} fps"
            )
        ratio = statistics.median(run_fps) / statistics.median(alone_fps)
        return {
            "clip": str(clip),
            "loops": loops,
            "frames": frames,
            "faces_seen_by_mediapipe_alone": faces,
            "core": core,
            "run_args": extra,
            "run_fps": spread(run_fps),
            "mediapipe_alone_fps": spread(alone_fps),
            "ratio_of_medians": round(ratio, 3),
            "ratio_per_round": [round(a / b, 3) for a, b in zip(run_fps, alone_fps, strict=True)],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--loops", type=int, default=5, help="times the clip is repeated")
    parser.add_argument("--runs", type=int, default=5, help="rounds of run + MediaPipe alone")
    parser.add_argument("--core", type=int, default=0, help="pin to this core; -1: no pinning")
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("run_args", nargs="*", help="extra `edge-emo run` options, after --")
    args = parser.parse_args()
    core = None if args.core < 0 else args.core
    result = measure(
        args.video,
        args.loops,
        args.runs,
        core,
        args.run_args,
        log=lambda s: print(s, file=sys.stderr),
    )
    emit(result, args.json)


if __name__ == "__main__":
    main()
