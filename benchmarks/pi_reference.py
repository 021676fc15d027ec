"""The x86 reference for the emulated-Pi check: one real window and the default model's answer.

    python benchmarks/pi_reference.py tests/data/face_clip.mp4 OUT_DIR

Writes OUT_DIR/window.npy (the first 90-frame window of the clip, normalised as the model
expects) and OUT_DIR/reference.json (its probabilities and top class on this machine).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from edge_runtime.face_landmarks import FaceLandmarker
from edge_runtime.features.normalise import normalise_window
from edge_runtime.features.resample import Resampler
from edge_runtime.features.windowing import WindowStream
from edge_runtime.model.classifier import EmotionClassifier
from edge_runtime.sources.video import read_video


def first_window(clip: Path, classifier: EmotionClassifier) -> np.ndarray:
    meta = classifier.metadata
    resampler, windows = Resampler(meta.fps), WindowStream(meta.window, meta.hop)
    with FaceLandmarker.create() as landmarker:
        for frame in read_video(clip):
            observation = landmarker.detect(frame)
            points = None if observation is None else observation.ibug68
            for resampled in resampler.push(frame.timestamp_s, points):
                window = windows.push(resampled.points)
                if window is not None and window.accepted and window.padded == 0:
                    return normalise_window(window.points, meta.normalisation)
    raise SystemExit(f"{clip}: no full window with a face")


def main() -> None:
    clip, out = Path(sys.argv[1]), Path(sys.argv[2])
    classifier = EmotionClassifier.create()
    window = first_window(clip, classifier).astype(np.float32)
    probs = classifier.predict(window)
    np.save(out / "window.npy", window)
    reference = {"probs": probs.tolist(), "top": int(probs.argmax()), "backend": classifier.backend}
    (out / "reference.json").write_text(json.dumps(reference))
    print(f"x86 reference: {classifier.labels[int(probs.argmax())]} ({classifier.backend})")


if __name__ == "__main__":
    main()
