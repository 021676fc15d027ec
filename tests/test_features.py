"""Pure feature code: labels, normalisation, 478->68 mapping, gap filling and windowing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import random_face

from edge_emo.benchmarks.canonical_mesh import mirror_vertices
from edge_runtime.features.baseline import BASELINE_METHOD, RunningBaseline
from edge_runtime.features.landmarks import (
    DEFAULT_MAPPING,
    IBUG68_FROM_MESH,
    IBUG68_FROM_MESH_V1,
    IBUG68_MIRROR,
    LEGACY_MAPPING,
    MAPPINGS,
    REGIONS,
    interocular_distance,
    mediapipe_to_ibug68,
)
from edge_runtime.features.normalise import (
    NUM_FEATURES,
    NormalisationSpec,
    normalise_window,
    unflatten,
)
from edge_runtime.features.windowing import (
    MAX_GAP_FRAMES,
    MAX_MISSING_FRACTION,
    MIN_FRAMES,
    WindowStream,
    fill_gaps,
    make_windows,
    min_frames,
    window_from_span,
    window_starts,
)
from edge_runtime.labels import LABELS, label_index


def test_label_order_is_the_contract():
    assert LABELS == ("neutral", "happiness", "sadness", "anger", "fear", "disgust", "surprise")
    assert label_index("fear") == 4
    with pytest.raises(ValueError, match="expected one of"):
        label_index("calm")


@pytest.mark.parametrize("roll", [False, True])
def test_normalisation_is_invariant_to_position_and_distance(roll):
    rng = np.random.default_rng(0)
    face = random_face(rng)
    spec = NormalisationSpec(roll=roll)
    reference = normalise_window(face, spec)
    moved = normalise_window(face * 3.7 + np.array([-250.0, 900.0]), spec)
    assert reference.shape == (90, NUM_FEATURES)
    np.testing.assert_allclose(moved, reference, atol=1e-6)


def test_roll_alignment_removes_in_plane_rotation():
    rng = np.random.default_rng(1)
    face = random_face(rng)
    angle = np.radians(12)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    rotated = face @ rot.T
    spec = NormalisationSpec(roll=True)
    np.testing.assert_allclose(
        normalise_window(rotated, spec), normalise_window(face, spec), atol=1e-5
    )
    assert not np.allclose(normalise_window(rotated), normalise_window(face), atol=1e-3)


def test_normalised_layout_is_x_then_y_in_face_units():
    rng = np.random.default_rng(2)
    face = random_face(rng, 10)
    out = normalise_window(face)
    back = unflatten(out)
    assert back.shape == (10, 68, 2)
    # x_0..x_67 come first: the jaw's first point is on the image's left of the centre
    assert out[0, 0] < 0 and out[0, 16] > 0
    # scale: median outer-eye-corner distance is 1
    assert np.median(interocular_distance(back)) == pytest.approx(1.0, abs=1e-5)


def test_clip_bounds_a_tracker_glitch_and_is_recorded():
    rng = np.random.default_rng(3)
    face = random_face(rng)
    geometric = NormalisationSpec()
    spec = geometric.with_standardisation(normalise_window(face, geometric)[None])
    glitch = face.copy()
    glitch[40, 48] += 400.0  # one mouth corner thrown far off in one frame
    plain = normalise_window(glitch, spec)
    clipped = normalise_window(glitch, dataclasses.replace(spec, clip=5.0))
    assert np.abs(plain).max() > 50 and np.abs(clipped).max() == pytest.approx(5.0)
    inside = np.abs(plain) <= 5.0
    np.testing.assert_array_equal(clipped[inside], plain[inside])  # the rest is untouched
    record = dataclasses.replace(spec, clip=5.0).to_dict()
    assert record["clip"] == 5.0 and NormalisationSpec.from_dict(record).clip == 5.0
    assert NormalisationSpec.from_dict({**record, "clip": None}).clip is None  # older sidecars
    with pytest.raises(ValueError, match="clip"):
        NormalisationSpec(clip=0.0)


def test_a_running_baseline_moves_a_resting_face_onto_the_mean_and_keeps_expressions():
    """A person whose face at rest sits off the training mean is shifted onto it, by a weight
    that grows with the frames seen; overlapping windows count each frame once; what the face
    does relative to its rest (an expression) is kept exactly."""
    mean = np.array([0.0, 1.0, -1.0, 0.5])
    rest = mean + np.array([0.10, -0.20, 0.0, 0.30])  # this person's resting shape
    base = RunningBaseline(mean, prior_frames=90, history_frames=600)
    np.testing.assert_array_equal(base.shift(), 0.0)  # nothing seen: no shift
    base.observe(np.tile(rest, (30, 1)), first_index=0)
    np.testing.assert_allclose(base.shift(), 30 / 120 * (rest - mean))  # early: a quarter
    base.observe(np.tile(rest, (30, 1)), first_index=15)  # half of it seen already
    assert base.frames == 45
    expression = rest + np.array([0.0, 0.0, 0.4, 0.0])  # e.g. the mouth opening
    for start in range(30, 1200, 15):  # 40 s of 1 s windows every half second
        window = np.tile(rest, (30, 1))
        window[-3:] = expression  # a tenth of the frames show the expression
        base.observe(window, first_index=start)
    assert base.frames == 600  # the last 20 s here (history_frames)
    shift = base.shift()
    np.testing.assert_allclose(shift, 600 / 690 * (rest - mean))  # the median ignores the tenth
    np.testing.assert_allclose((expression - shift) - (rest - shift), expression - rest)
    assert np.abs(rest - shift - mean).max() < np.abs(rest - mean).max() / 5


def test_a_baseline_is_named_in_the_normalisation_and_needs_its_mean():
    rng = np.random.default_rng(4)
    geometric = NormalisationSpec(roll=True)
    spec = geometric.with_standardisation(normalise_window(random_face(rng), geometric)[None])
    named = dataclasses.replace(spec, baseline=BASELINE_METHOD)
    record = named.to_dict()
    assert record["baseline"] == BASELINE_METHOD
    loaded = NormalisationSpec.from_dict(record)  # mean/std come back rounded to 6 places
    assert loaded.baseline == BASELINE_METHOD and loaded.to_dict() == record
    assert NormalisationSpec.from_dict({**record, "baseline": None}).baseline is None
    del record["baseline"]
    assert NormalisationSpec.from_dict(record).baseline is None  # sidecars from before
    assert named.geometric.baseline is None  # no mean, no baseline
    with pytest.raises(ValueError, match="baseline needs"):
        NormalisationSpec(baseline=BASELINE_METHOD)
    with pytest.raises(ValueError, match="unknown baseline"):
        dataclasses.replace(spec, baseline="file-median")
    assert RunningBaseline.create(None, spec.mean) is None
    with pytest.raises(ValueError, match="unknown baseline"):
        RunningBaseline.create("file-median", spec.mean)


def test_degenerate_input_stays_finite():
    flat = np.zeros((90, 68, 2))
    assert np.isfinite(normalise_window(flat)).all()


@pytest.mark.parametrize("mapping", sorted(MAPPINGS))
def test_mapping_tables_cover_68_points_without_iris(mapping):
    table = MAPPINGS[mapping]
    assert len(table) == 68
    assert all(0 <= i < 468 for sources in table for i in sources)
    assert sorted(REGIONS) == ["brows", "eyes", "jaw", "mouth", "nose"]


def test_the_default_table_is_left_right_symmetric_and_the_first_is_not():
    """A point's mirror partner takes the mirror images of its mesh points (canonical mesh)."""
    mirror = mirror_vertices()

    def mirrored(table):
        return [tuple(sorted(int(mirror[v]) for v in table[IBUG68_MIRROR[k]])) for k in range(68)]

    assert mirrored(IBUG68_FROM_MESH) == [tuple(sorted(s)) for s in IBUG68_FROM_MESH]
    assert mirrored(IBUG68_FROM_MESH_V1) != [tuple(sorted(s)) for s in IBUG68_FROM_MESH_V1]
    assert MAPPINGS[DEFAULT_MAPPING] is IBUG68_FROM_MESH


def test_an_unknown_mapping_is_refused_everywhere_it_can_be_named():
    with pytest.raises(ValueError, match="unknown landmark mapping 'mystery'"):
        mediapipe_to_ibug68(np.zeros((478, 3)), "mystery")
    with pytest.raises(ValueError, match="unknown landmark mapping"):
        NormalisationSpec(landmarks="mystery")
    spec = NormalisationSpec(roll=True)
    assert NormalisationSpec.from_dict(spec.to_dict()).landmarks == DEFAULT_MAPPING
    older = {k: v for k, v in spec.to_dict().items() if k != "landmarks"}
    assert NormalisationSpec.from_dict(older).landmarks == LEGACY_MAPPING  # sidecars before it


@pytest.mark.parametrize("mapping", sorted(MAPPINGS))
def test_mapping_averages_the_listed_mesh_points(mapping):
    mesh = np.zeros((478, 3))
    mesh[:, 0] = np.arange(478)  # x = mesh index
    mesh[:, 1] = 2 * np.arange(478)
    out = mediapipe_to_ibug68(mesh, mapping)
    for k, sources in enumerate(MAPPINGS[mapping]):
        assert out[k, 0] == pytest.approx(np.mean(sources))
        assert out[k, 1] == pytest.approx(2 * np.mean(sources))
    batch = mediapipe_to_ibug68(np.stack([mesh, mesh]), mapping)
    assert batch.shape == (2, 68, 2)


def test_short_gaps_are_interpolated_long_gaps_are_not():
    t = np.arange(100, dtype=float)
    points = np.repeat(t[:, None, None], 68, axis=1).repeat(2, axis=2)
    gappy = points.copy()
    gappy[10:15] = np.nan  # 5 frames: filled
    gappy[40 : 40 + MAX_GAP_FRAMES + 1] = np.nan  # one too long: kept missing
    filled, missing = fill_gaps(gappy)
    np.testing.assert_allclose(filled[10:15], points[10:15])  # linear motion is recovered exactly
    assert missing[40 : 40 + MAX_GAP_FRAMES + 1].all() and missing.sum() == MAX_GAP_FRAMES + 1


def test_window_rejected_when_too_much_was_missing():
    rng = np.random.default_rng(3)
    face = random_face(rng)
    ok = face.copy()
    limit = int(MAX_MISSING_FRACTION * 90)
    for start in range(0, 90, 15):  # short gaps spread over the window, `limit` frames in all
        ok[start : start + limit // 6] = np.nan
    assert window_from_span(ok, 0).accepted
    bad = face.copy()
    for start in range(0, 90, 10):
        bad[start : start + 3] = np.nan  # 27 frames > 18
    window = window_from_span(bad, 0)
    assert not window.accepted and window.points is None


def test_short_clip_is_padded_by_holding_its_ends():
    rng = np.random.default_rng(4)
    face = random_face(rng, 40)
    window = window_from_span(face, 0)
    assert window.accepted and window.padded == 50 and window.points.shape == (90, 68, 2)
    np.testing.assert_allclose(window.points[0], face[0])
    np.testing.assert_allclose(window.points[-1], face[-1])
    np.testing.assert_allclose(window.points[25:65], face)
    np.testing.assert_allclose(window.points[window.real], face)  # where its own frames sit
    assert window_from_span(random_face(rng, 90), 0).real == slice(0, 90)  # no padding
    assert not window_from_span(face[:20], 0).accepted  # below MIN_FRAMES


def test_a_short_window_pads_no_more_than_the_frames_it_may_miss():
    """1 s windows: 24 tracked frames (6 held, as gap filling may) make one; 23 do not."""
    face = random_face(np.random.default_rng(5), 24)
    assert min_frames(30) == 24 and min_frames(90) == MIN_FRAMES
    window = window_from_span(face, 0, 30)
    assert window.accepted and window.padded == 6 and window.points.shape == (30, 68, 2)
    np.testing.assert_allclose(window.points[3:27], face)
    assert not window_from_span(face[:23], 0, 30).accepted


@pytest.mark.parametrize("n", [1, 30, 89, 90, 91, 119, 120, 300, 301])
def test_window_starts_cover_every_frame(n):
    starts = window_starts(n, 90, 30)
    covered = np.zeros(n, bool)
    for s in starts:
        covered[s : s + 90] = True
        assert s >= 0 and (s + 90 <= n or n <= 90)
    assert covered.all()


def test_streaming_windows_match_batch_windows():
    rng = np.random.default_rng(5)
    face = random_face(rng, 240)
    stream = WindowStream(90, 30)
    emitted = [w for p in face if (w := stream.push(p)) is not None]
    full = [w for w in emitted if w.length == 90]
    batch = {w.start: w for w in make_windows(face, 90, 30)}
    assert [w.start for w in full] == [0, 30, 60, 90, 120, 150]
    for w in full:
        np.testing.assert_allclose(w.points, batch[w.start].points)
    assert stream.flush() is None  # 240 is a multiple of the hop: nothing left over
