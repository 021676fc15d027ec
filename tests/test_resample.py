"""Resampling to the model rate by timestamp."""

from __future__ import annotations

import numpy as np
import pytest

from edge_runtime.features.resample import Resampler, resample, resample_array


def moving_points(t: float) -> np.ndarray:
    """Landmarks that move linearly with time, so interpolation is exact."""
    return np.full((68, 2), 100.0) + 30.0 * t


@pytest.mark.parametrize("source_fps", [25.0, 30.0, 60.0, 23.976])
def test_any_constant_rate_gives_the_30fps_frames(source_fps):
    duration = 4.0
    n = round(duration * source_fps)
    samples = [(i / source_fps, moving_points(i / source_fps)) for i in range(n)]
    out = list(resample(samples, 30.0))
    assert len(out) == pytest.approx(duration * 30, abs=1)
    last_source = samples[-1][0]
    for frame in out:
        assert frame.timestamp_s == pytest.approx(frame.index / 30)
        if frame.timestamp_s <= last_source:  # after the last source frame, its value is held
            np.testing.assert_allclose(frame.points, moving_points(frame.timestamp_s), atol=1e-9)


def test_variable_frame_rate_is_timed_by_timestamps():
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.uniform(1 / 60, 1 / 20, 200))
    times -= times[0]
    samples = [(t, moving_points(t)) for t in times]
    out = list(resample(samples, 30.0))
    assert [f.index for f in out] == list(range(len(out)))
    for frame in out:
        if frame.timestamp_s <= times[-1]:
            np.testing.assert_allclose(frame.points, moving_points(frame.timestamp_s), atol=1e-9)


def test_missing_faces_use_the_nearer_frame_or_stay_missing():
    resampler = Resampler(30.0)
    out = []
    out += resampler.push(0.0, moving_points(0.0))
    out += resampler.push(0.1, None)
    out += resampler.push(0.2, None)
    out += resampler.push(0.3, moving_points(0.3))
    out += resampler.flush()
    by_index = {f.index: f for f in out}
    assert by_index[1].points is not None  # t=0.033: nearer to the face at 0.0
    assert by_index[4].points is None  # t=0.133: between two faceless frames
    assert by_index[9].points is not None


def test_non_monotonic_frames_are_dropped():
    resampler = Resampler(30.0)
    resampler.push(0.0, moving_points(0))
    resampler.push(0.5, moving_points(0.5))
    assert resampler.push(0.4, moving_points(0.4)) == []


def test_resample_array_marks_missing_with_nan():
    times = np.arange(10) / 30
    points = np.stack([moving_points(t) for t in times])
    points[5] = np.nan
    out = resample_array(times, points)
    assert out.shape == (10, 68, 2)
    assert np.isnan(out[5]).all() and np.isfinite(out[4]).all()
