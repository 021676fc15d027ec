"""Geometric normalisation of 68-point landmark sequences, shared by training and inference.

`centre-iod-v1`: each frame is translated so that the centre of its rigid points (eye
corners and nose bridge) is the origin, and the whole window is divided by the median
inter-ocular distance (outer eye corners) over the window. The result is invariant to
where the face is in the image and how far it is from the camera, while expression
motion (mouth opening, brow raising) keeps its size relative to the face. Optionally
each frame is rotated so the eye line is horizontal (in-plane head roll removed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from edge_runtime.landmarks import LEFT_EYE_OUTER, RIGHT_EYE_OUTER, interocular_distance

NUM_POINTS = 68
NUM_FEATURES = 2 * NUM_POINTS
INPUT_LAYOUT = "x_0..x_67,y_0..y_67"
"""Order of the 136 features in each frame of a model input."""

CENTRE_POINTS = (27, 28, 36, 39, 42, 45)
"""Rigid points whose mean is the face centre: nose bridge and eye corners."""


@dataclass(frozen=True)
class NormalisationSpec:
    """The normalisation a model was trained with; stored in its metadata sidecar."""

    name: str = "centre-iod-v1"
    roll: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> NormalisationSpec:
        spec = cls(name=str(data.get("name")), roll=bool(data.get("roll", False)))
        if spec.name != "centre-iod-v1":
            raise ValueError(
                f"unknown normalisation {spec.name!r} (this runtime knows centre-iod-v1)"
            )
        return spec


def face_centre(points: np.ndarray) -> np.ndarray:
    """Mean of the rigid CENTRE_POINTS of (..., 68, 2) points -> (..., 2)."""
    return points[..., CENTRE_POINTS, :].mean(axis=-2)


def face_scale(points: np.ndarray) -> float:
    """Median inter-ocular distance of a (T, 68, 2) window, with fallbacks for degenerate input."""
    iod = interocular_distance(points)
    scale = float(np.median(iod)) if iod.size else 0.0
    if not scale > 1e-6:
        centred = points - points.mean(axis=-2, keepdims=True)
        scale = float(np.sqrt(np.mean(centred**2))) if centred.size else 0.0
    return scale if scale > 1e-9 else 1.0


def normalise_window(points: np.ndarray, spec: NormalisationSpec | None = None) -> np.ndarray:
    """Normalise a (T, 68, 2) window of pixel landmarks to the (T, 136) model input.

    Input must be finite (fill gaps first, see `windowing.fill_gaps`).
    """
    spec = spec or NormalisationSpec()
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 3 or points.shape[1:] != (NUM_POINTS, 2):
        raise ValueError(f"expected (T, 68, 2) landmarks, got shape {points.shape}")
    centred = points - face_centre(points)[:, None, :]
    if spec.roll:
        eye_line = points[:, LEFT_EYE_OUTER] - points[:, RIGHT_EYE_OUTER]
        angle = np.arctan2(eye_line[:, 1], eye_line[:, 0])
        cos, sin = np.cos(-angle)[:, None], np.sin(-angle)[:, None]
        x, y = centred[..., 0], centred[..., 1]
        centred = np.stack([cos * x - sin * y, sin * x + cos * y], axis=-1)
    scaled = centred / face_scale(points)
    return np.concatenate([scaled[..., 0], scaled[..., 1]], axis=-1).astype(np.float32)


def unflatten(features: np.ndarray) -> np.ndarray:
    """Inverse of the flattening: (..., 136) -> (..., 68, 2)."""
    return np.stack([features[..., :NUM_POINTS], features[..., NUM_POINTS:]], axis=-1)
