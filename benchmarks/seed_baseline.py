"""A faithful re-creation of the seed notebook's inference loop, to measure against.

The notebook imports TensorFlow, loads the float Keras model, runs MediaPipe on every
frame as an independent image (IMAGE mode), keeps the last 90 frames of landmarks and
calls `model.predict` on a window once per second (every 30 frames). No resampling, no
streaming timeline: just the work, so steady-state fps compares like with like.

    python -m edge_emo.benchmarks.seed_baseline tests/data/face_clip.mp4 build/default-model/emotion-realfaces.keras
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import time
from pathlib import Path

import numpy as np

from edge_runtime._quiet import native_stderr_silenced
from edge_runtime.face_landmarks import FaceLandmarker, FaceLandmarkerOptions, RunningMode
from edge_runtime.features.normalise import NormalisationSpec, normalise_window
from edge_runtime.sources.video import read_video


def load_keras(path: Path):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with native_stderr_silenced():
        import keras

    from edge_runtime.model.metadata import load_metadata

    return keras.models.load_model(path), load_metadata(path)


def seed_style_fps(video: Path, keras_path: Path, max_frames: int | None = None) -> dict:
    """Steady-state frames/s of the notebook loop, decoding included (models load first)."""
    model, meta = load_keras(keras_path)
    spec: NormalisationSpec = meta.normalisation
    history: collections.deque = collections.deque(maxlen=meta.window)
    options = FaceLandmarkerOptions(running_mode=RunningMode.IMAGE)
    predictions = 0
    with FaceLandmarker.create(options) as landmarker:
        start = time.perf_counter()
        count = 0
        for index, frame in enumerate(itertools.islice(read_video(video), max_frames)):
            count += 1
            observation = landmarker.detect(frame)
            if observation is not None:
                history.append(observation.ibug68)
            if len(history) == meta.window and index % 30 == 0:
                window = normalise_window(np.stack(history), spec)
                model.predict(window[None], verbose=0)
                predictions += 1
        total = time.perf_counter() - start
    return {"frames": count, "fps": round(count / total, 1), "predictions": predictions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("keras_model", type=Path)
    parser.add_argument("--max-frames", type=int)
    args = parser.parse_args()
    print(seed_style_fps(args.video, args.keras_model, args.max_frames))


if __name__ == "__main__":
    main()
