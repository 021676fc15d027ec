"""Yaw and pitch removal (`features/pose.py`): the mean face's provenance and what it undoes."""

from __future__ import annotations

import numpy as np
import pytest

from edge_emo.benchmarks.canonical_mesh import canonical_vertices
from edge_runtime.features.landmarks import DEFAULT_MAPPING, mediapipe_to_ibug68
from edge_runtime.features.normalise import (
    CENTRE_POINTS,
    NormalisationSpec,
    normalise_window,
    unflatten,
)
from edge_runtime.features.pose import MEAN_FACE_68, MEAN_FACES, POSE_METHOD, fit_pose, frontalise


@pytest.mark.parametrize("mapping", sorted(MEAN_FACES))
def test_mean_face_is_mediapipes_canonical_mesh_mapped_to_68_points(mapping):
    """Rebuilt from the geometry metadata in the bundled face_landmarker.task, per table."""
    vertices = canonical_vertices()
    xy = mediapipe_to_ibug68(vertices[:, :2], mapping).astype(np.float64)
    depth = mediapipe_to_ibug68(vertices[:, [2, 0]], mapping).astype(np.float64)[:, 0]
    face = np.column_stack([xy[:, 0], -xy[:, 1], -depth])  # y down, z away from the camera
    face -= face[list(CENTRE_POINTS)].mean(axis=0)
    face /= np.linalg.norm(face[45, :2] - face[36, :2])
    np.testing.assert_allclose(MEAN_FACES[mapping], face, atol=6e-5)
    assert MEAN_FACES[DEFAULT_MAPPING] is MEAN_FACE_68


def _rotation(yaw: float, pitch: float, roll: float = 0.0) -> np.ndarray:
    y, p, r = np.radians([yaw, pitch, roll])
    about_y = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    about_x = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    about_z = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return about_z @ about_x @ about_y


def _smile() -> np.ndarray:
    """The mean face with the mouth corners pulled out and up (a 3-D expression)."""
    face = MEAN_FACE_68.copy()
    face[48] += (-0.08, -0.1, 0.0)
    face[54] += (0.08, -0.1, 0.0)
    return face


def _filmed(face: np.ndarray, yaw: float, pitch: float, roll: float = 0.0) -> np.ndarray:
    """Five frames of `face` turned and projected to pixels (orthographic, 120 px per IOD)."""
    pixels = (face @ _rotation(yaw, pitch, roll).T)[:, :2] * 120 + (300, 200)
    return np.repeat(pixels[None], 5, axis=0)


@pytest.mark.parametrize(("yaw", "pitch", "roll"), [(20, 10, 0), (-30, -12, 8), (35, 15, -5)])
def test_frontalising_undoes_a_turned_head_and_keeps_the_expression(yaw, pitch, roll):
    smile = _smile()
    frontal = NormalisationSpec(roll=True, pose=POSE_METHOD)
    turned = unflatten(normalise_window(_filmed(smile, yaw, pitch, roll), frontal))
    error = np.abs(turned - smile[:, :2]).max()
    assert error < 0.04, error  # the mouth corners' own motion, seen at an angle, is what is left
    roll_only = unflatten(
        normalise_window(_filmed(smile, yaw, pitch, roll), NormalisationSpec(roll=True))
    )
    assert np.abs(roll_only - smile[:, :2]).max() > 5 * error
    # the smile survives: mouth corners still out and up against the neutral mean face
    neutral = unflatten(normalise_window(_filmed(MEAN_FACE_68, yaw, pitch, roll), frontal))
    widening = (turned[:, 54, 0] - turned[:, 48, 0]) - (neutral[:, 54, 0] - neutral[:, 48, 0])
    assert np.all(widening > 0.12)


def test_the_fitted_pose_is_the_filmed_one():
    rotation, scale, _ = fit_pose(_filmed(MEAN_FACE_68, 25, -10) / 120)
    np.testing.assert_allclose(rotation[0], _rotation(25, -10)[:2], atol=1e-6)
    np.testing.assert_allclose(scale, 1.0, atol=1e-6)


def test_a_glitched_frame_is_not_blown_up():
    squashed = _filmed(MEAN_FACE_68, 0, 0) / 120
    squashed[2] *= 0.01  # one frame collapsed to a point: a tracker glitch
    out = frontalise(squashed)
    assert np.isfinite(out).all() and np.abs(out).max() < 5


def test_the_pose_method_is_recorded_and_unknown_ones_are_refused():
    spec = NormalisationSpec(roll=True, pose=POSE_METHOD)
    assert NormalisationSpec.from_dict(spec.to_dict()).pose == POSE_METHOD
    older = {k: v for k, v in spec.to_dict().items() if k != "pose"}
    assert NormalisationSpec.from_dict(older).pose is None  # sidecars from before the option
    with pytest.raises(ValueError, match="unknown pose normalisation 'affine'"):
        NormalisationSpec.from_dict({**spec.to_dict(), "pose": "affine"})
