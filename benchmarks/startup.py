"""Cold start: time from process start to the first prediction, edge runtime vs seed style.

Each measurement is a fresh Python process. "First prediction" means: imports done, both
models loaded, the first second of the clip decoded and landmarked, and one window
classified (one second is the shortest clip that gets a prediction; it is padded to
the window by holding its ends, the short-clip rule).
The edge runtime never imports TensorFlow; the seed style imports it to load the
float Keras model, as the notebook did.

    python -m edge_emo.benchmarks.startup tests/data/face_clip.mp4 --keras build/default-model/emotion-realfaces.keras
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

EDGE_CHILD = """
import sys, time
from edge_runtime.pipeline import EmotionPipeline, PipelineOptions
from edge_runtime.sources.video import read_video
def first_second(frames):
    for frame in frames:
        yield frame
        if frame.timestamp_s >= 1.0:
            return
with EmotionPipeline.create(PipelineOptions()) as pipeline:
    entries = list(pipeline.run(first_second(read_video(sys.argv[1]))))
assert pipeline.times.windows >= 1, "no face in the first second"
print(time.time())
"""

SEED_CHILD = """
import os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf  # the notebook's first cell
import keras
from edge_runtime.face_landmarks import FaceLandmarker, FaceLandmarkerOptions, RunningMode
from edge_runtime.model.metadata import load_metadata
from edge_runtime.features.normalise import normalise_window
from edge_runtime.sources.video import read_video
model = keras.models.load_model(sys.argv[2])
meta = load_metadata(sys.argv[2])
points = []
with FaceLandmarker.create(FaceLandmarkerOptions(running_mode=RunningMode.IMAGE)) as landmarker:
    for frame in read_video(sys.argv[1]):
        points.append(landmarker.detect(frame).ibug68)
        if frame.timestamp_s >= 1.0:
            break
held = np.concatenate([np.stack(points), np.repeat(points[-1][None], meta.window - len(points), 0)])
window = normalise_window(held, meta.normalisation)
model.predict(window[None], verbose=0)
print(time.time())
"""


def time_to_first_prediction(child: str, args: list[str], repeats: int = 3) -> dict:
    """Median seconds from launching `python -c child` to the time it prints."""
    runs = []
    for _ in range(repeats):
        start = time.time()
        done = subprocess.run(
            [sys.executable, "-c", child, *args], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"start-up child failed: {tail}")
        runs.append(float(done.stdout.strip().splitlines()[-1]) - start)
    return {"median_s": round(statistics.median(runs), 3), "runs_s": [round(r, 3) for r in runs]}


def measure_startup(video: Path, keras_path: Path | None = None, repeats: int = 3) -> dict:
    result = {"edge_runtime": time_to_first_prediction(EDGE_CHILD, [str(video)], repeats)}
    if keras_path is not None:
        result["seed_style"] = time_to_first_prediction(
            SEED_CHILD, [str(video), str(keras_path)], repeats
        )
        result["seed_over_edge"] = round(
            result["seed_style"]["median_s"] / result["edge_runtime"]["median_s"], 2
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--keras", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure_startup(args.video, args.keras, args.repeats), indent=2))


if __name__ == "__main__":
    main()
