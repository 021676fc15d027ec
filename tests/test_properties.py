"""Property and fuzz tests (hypothesis) for the pure core: what must hold for any input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from edge_runtime.errors import InputError
from edge_runtime.features.normalise import NormalisationSpec, normalise_window
from edge_runtime.features.pose import POSE_METHOD
from edge_runtime.features.windowing import Window, make_windows, window_starts
from edge_runtime.labels import LABELS
from edge_runtime.landmark_csv import EXTRACT_HEADER, parse_landmark_csv
from edge_runtime.timeline import TimelineAssembler

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

coordinates = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, width=32)
faces = arrays(np.float32, (12, 68, 2), elements=coordinates)


@FAST
@given(faces, st.booleans(), st.sampled_from([None, POSE_METHOD]))
def test_normalisation_never_returns_nan_for_finite_input(points, roll, pose):
    out = normalise_window(points, NormalisationSpec(roll=roll, pose=pose))
    assert out.shape == (12, 136) and np.isfinite(out).all()


@FAST
@given(
    faces.filter(lambda p: np.ptp(p[..., 0]) > 1 and np.ptp(p[..., 1]) > 1),
    st.floats(0.05, 20),
    st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)),
)
def test_normalisation_is_invariant_to_scale_and_translation(points, scale, shift):
    points = points.astype(np.float64)
    spec = NormalisationSpec()
    moved = points * scale + np.asarray(shift)
    base = normalise_window(points, spec)
    np.testing.assert_allclose(
        normalise_window(moved, spec), base, atol=1e-4 * (1 + np.abs(base).max())
    )


@FAST
@given(st.integers(1, 2000), st.integers(1, 120), st.integers(1, 120))
def test_window_starts_cover_every_frame_with_full_length_windows(n, window, hop):
    if hop > window:  # would skip frames between windows: refused
        with pytest.raises(ValueError, match="hop"):
            window_starts(n, window, hop)
        return
    starts = window_starts(n, window, hop)
    covered = np.zeros(n, bool)
    for s in starts:
        covered[s : s + window] = True
        assert s >= 0 and (s + window <= n or n <= window)
    assert covered.all() and starts == sorted(set(starts))
    if n > window:
        assert all(b - a <= hop for a, b in itertools.pairwise(starts))


@FAST
@given(st.integers(1, 400), st.integers(1, 45), st.data())
def test_every_window_has_the_model_length_or_is_rejected(n, hop, data):
    points = np.zeros((n, 68, 2), np.float32)
    missing = data.draw(st.lists(st.integers(0, n - 1), max_size=n))
    points[missing] = np.nan
    for w in make_windows(points, 90, hop):
        if w.accepted:
            assert w.points.shape == (90, 68, 2) and np.isfinite(w.points).all()
        else:
            assert w.points is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_csv_parser_raises_only_our_error_on_arbitrary_bytes(raw):
    text = raw.decode("utf-8", errors="replace")
    for candidate in (text, ",".join(EXTRACT_HEADER) + "\n" + text):
        try:
            track = parse_landmark_csv(candidate, "fuzz.csv")
        except InputError as exc:
            assert "fuzz.csv" in str(exc) and "\n" not in str(exc)
        else:
            assert track.points.shape[1:] == (68, 2)


@FAST
@given(
    st.lists(st.booleans(), min_size=1, max_size=400),
    st.sampled_from(["centred", "causal"]),
    st.integers(0, 2**32 - 1),
)
def test_timeline_seconds_are_contiguous_and_probabilities_valid(face_flags, mode, seed):
    rng = np.random.default_rng(seed)
    assembler = TimelineAssembler(list(LABELS), 30, 90, mode)
    entries = []
    for i, face in enumerate(face_flags, start=1):
        assembler.add_frame(face)
        if i % 30 == 0 or i == len(face_flags):
            start = max(0, i - 90)
            probs = rng.dirichlet(np.ones(len(LABELS))) if face else None
            points = np.zeros((90, 68, 2)) if face else None
            assembler.add_window(Window(start, i - start, points, 0, 90 - (i - start)), probs)
        entries += assembler.pop_ready()
    entries += assembler.finish()
    assert [e.t for e in entries] == list(range(len(entries)))
    assert len(entries) == -(-len(face_flags) // 30)
    assert sum(e.frames for e in entries) == len(face_flags)
    for e in entries:
        if e.probs is None:
            assert not e.face and e.top is None
        else:
            assert set(e.probs) == set(LABELS) and sum(e.probs.values()) == pytest.approx(
                1.0, abs=1e-5
            )
            assert all(0 <= p <= 1 for p in e.probs.values()) and e.top == max(
                e.probs, key=e.probs.get
            )
