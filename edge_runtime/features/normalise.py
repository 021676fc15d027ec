"""Normalisation of 68-point landmark sequences, shared by training and inference.

`centre-iod-v1`: each frame is translated so that the centre of its rigid points (eye
corners and nose bridge) is the origin, and the whole window is divided by the median
inter-ocular distance (outer eye corners) over the window. The result is invariant to
where the face is in the image and how far it is from the camera, while expression
motion (mouth opening, brow raising) keeps its size relative to the face. Optionally
each frame is rotated so the eye line is horizontal (in-plane head roll removed), and
optionally yaw and pitch are removed too (`pose`: a 3-D mean face's pose, see `pose.py`).
Finally each of the 136 features is standardised with the training set's mean/std, and
optionally clipped to +-`clip` standard deviations. A model may also name a per-person
baseline (`baseline.py`), applied between the geometric step and the standardisation by
whoever keeps the person's frames (the pipeline's face streams).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from edge_runtime.features.baseline import BASELINE_METHOD
from edge_runtime.features.landmarks import (
    DEFAULT_MAPPING,
    LEFT_EYE_OUTER,
    LEGACY_MAPPING,
    RIGHT_EYE_OUTER,
    check_mapping,
    interocular_distance,
)
from edge_runtime.features.pose import POSE_METHOD, frontalise

NUM_POINTS = 68
NUM_FEATURES = 2 * NUM_POINTS
INPUT_LAYOUT = "x_0..x_67,y_0..y_67"
"""Order of the 136 features in each frame of a model input."""

CENTRE_POINTS = (27, 28, 36, 39, 42, 45)
"""Rigid points whose mean is the face centre: nose bridge and eye corners."""


@dataclass(frozen=True)
class NormalisationSpec:
    """The normalisation a model was trained with; stored in its metadata sidecar.

    `mean`/`std` (136 values each, from the training windows) standardise every feature
    after the geometric step: expressions are deltas of a few hundredths of an IOD on
    coordinates spanning +-1, and an int8 input tensor only resolves them once each
    feature is on its own scale. Models from `edge-emo train` always carry them.

    `clip` (standard deviations) bounds the standardised features: a tracker glitch can put
    a point 45 std away (measured on the stills bundles; 1% of windows pass 5 std), and a
    full-int8 input tensor has one scale for all features, so a few such windows in the
    calibration set coarsen every feature's resolution. None: no clipping (older models).

    `pose` names a frontalisation (`pose.POSE_METHOD`) applied after the roll and the
    scaling; it levels the eyes first whatever `roll` says. None: yaw and pitch stay.

    `landmarks` names the 478->68 table the points were made with (`landmarks.MAPPINGS`);
    the runtime maps the mesh with the same one. A sidecar that names none used the first.

    `baseline` names a per-person neutral baseline (`baseline.BASELINE_METHOD`) that the
    runtime applies at inference, before standardisation; it needs `mean`. None: none.
    """

    name: str = "centre-iod-v1"
    roll: bool = False
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    clip: float | None = None
    pose: str | None = None
    landmarks: str = DEFAULT_MAPPING
    baseline: str | None = None

    def __post_init__(self) -> None:
        if (self.mean is None) != (self.std is None):
            raise ValueError("normalisation mean and std go together")
        if self.mean is not None:
            if len(self.mean) != NUM_FEATURES or len(self.std) != NUM_FEATURES:
                raise ValueError(f"normalisation mean/std need {NUM_FEATURES} values each")
            if not all(np.isfinite(self.mean)) or not all(s > 0 for s in self.std):
                raise ValueError("normalisation std must be positive and mean finite")
        if self.clip is not None and not self.clip > 0:
            raise ValueError("normalisation clip must be positive")
        check_mapping(self.landmarks)
        if self.pose not in (None, POSE_METHOD):
            raise ValueError(
                f"unknown pose normalisation {self.pose!r} (this runtime knows {POSE_METHOD})"
            )
        if self.baseline not in (None, BASELINE_METHOD):
            raise ValueError(
                f"unknown baseline {self.baseline!r} (this runtime knows {BASELINE_METHOD})"
            )
        if self.baseline is not None and self.mean is None:
            raise ValueError("a baseline needs the standardisation mean it moves faces onto")

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("mean", "std"):
            if data[key] is not None:
                data[key] = [round(float(v), 6) for v in data[key]]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> NormalisationSpec:
        name = str(data.get("name"))
        if name != "centre-iod-v1":
            raise ValueError(f"unknown normalisation {name!r} (this runtime knows centre-iod-v1)")
        mean, std, clip, pose, baseline = (
            data.get(k) for k in ("mean", "std", "clip", "pose", "baseline")
        )
        return cls(
            name=name,
            roll=bool(data.get("roll", False)),
            mean=None if mean is None else tuple(float(v) for v in mean),
            std=None if std is None else tuple(float(v) for v in std),
            clip=None if clip is None else float(clip),
            pose=None if pose is None else str(pose),
            landmarks=str(data.get("landmarks", LEGACY_MAPPING)),
            baseline=None if baseline is None else str(baseline),
        )

    def with_standardisation(self, windows: np.ndarray, floor: float = 1e-3) -> NormalisationSpec:
        """This spec plus per-feature mean/std measured on (N, T, 136) geometric-normalised windows."""
        flat = np.asarray(windows, np.float64).reshape(-1, NUM_FEATURES)
        std = np.maximum(flat.std(axis=0), floor)
        return replace(self, mean=tuple(flat.mean(axis=0).tolist()), std=tuple(std.tolist()))

    @property
    def geometric(self) -> NormalisationSpec:
        """The same spec without standardisation."""
        return replace(self, mean=None, std=None, baseline=None)


def face_centre(points: np.ndarray) -> np.ndarray:
    """Mean of the rigid CENTRE_POINTS of (..., 68, 2) points -> (..., 2)."""
    return points[..., CENTRE_POINTS, :].mean(axis=-2)


def roll_angle(points: np.ndarray) -> np.ndarray:
    """Each frame's in-plane head roll of (T, 68, 2) points, radians: the outer eye line's angle."""
    eye_line = points[:, LEFT_EYE_OUTER] - points[:, RIGHT_EYE_OUTER]
    return np.arctan2(eye_line[:, 1], eye_line[:, 0])


def rotate_frames(points: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(T, N, 2) points, frame t turned by angle[t] radians about the origin."""
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    x, y = points[..., 0], points[..., 1]
    return np.stack([cos * x - sin * y, sin * x + cos * y], axis=-1)


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
    return standardise(geometric_features(points, spec), spec)


def geometric_features(points: np.ndarray, spec: NormalisationSpec) -> np.ndarray:
    """The geometric step of `normalise_window`: (T, 68, 2) pixels -> (T, 136) float64."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 3 or points.shape[1:] != (NUM_POINTS, 2):
        raise ValueError(f"expected (T, 68, 2) landmarks, got shape {points.shape}")
    centred = points - face_centre(points)[:, None, :]
    if spec.roll or spec.pose:
        centred = rotate_frames(centred, -roll_angle(points))
    scaled = centred / face_scale(points)
    if spec.pose:
        scaled = frontalise(scaled, spec.landmarks)
    return np.concatenate([scaled[..., 0], scaled[..., 1]], axis=-1)


def standardise(features: np.ndarray, spec: NormalisationSpec) -> np.ndarray:
    """The last step of `normalise_window`: the spec's mean/std and clip, as float32."""
    if spec.mean is not None:
        features = (features - np.asarray(spec.mean)) / np.asarray(spec.std)
        if spec.clip is not None:
            features = np.clip(features, -spec.clip, spec.clip)
    return features.astype(np.float32)


def unflatten(features: np.ndarray) -> np.ndarray:
    """Inverse of the flattening: (..., 136) -> (..., 68, 2)."""
    return np.stack([features[..., :NUM_POINTS], features[..., NUM_POINTS:]], axis=-1)
