"""Faces too small for the whole frame, found in parts of it (edge_runtime/zoom.py): the
squares' geometry with small arrays, then a real face shrunk into a wide frame."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from conftest import FACE_CLIP, run_cli

from edge_emo.benchmarks.zoom_cost import far, write
from edge_runtime.face_landmarks import FaceLandmarker, FaceLandmarkerOptions
from edge_runtime.features.landmarks import interocular_distance
from edge_runtime.sources.video import read_video
from edge_runtime.zoom import follow_box, search_boxes

# the clip's 640x360 frames shrunk to 192x108 in the lower right of a 1280x720 frame
SCALE, AT = 0.3, (1280 - 192, 720 - 108)


def test_search_squares_cover_the_frame_overlapping_by_half():
    boxes = search_boxes(720, 1280, 0.5)
    assert {side for _, _, side in boxes} == {360}
    assert all(0 <= x <= 1280 - s and 0 <= y <= 720 - s for x, y, s in boxes)
    covered = np.zeros((720, 1280), bool)
    for x, y, s in boxes:
        covered[y : y + s, x : x + s] = True
    assert covered.all()
    assert len(boxes) == 3 * 7  # rows at 0, 180, 360; columns every 180 px and the last edge
    assert search_boxes(100, 100, 1.0) == [(0, 0, 100)]  # the whole frame once


def test_a_followed_face_gets_a_square_three_times_its_size_inside_the_frame():
    assert follow_box(np.array([600, 100, 700, 220]), 720, 1280, 3.0) == (470, 0, 360)
    x, y, side = follow_box(np.array([1250, 690, 1280, 720]), 720, 1280, 3.0)
    assert (x + side, y + side) == (1280, 720) and side == 90  # moved inside at the corner
    assert follow_box(np.array([0, 0, 1000, 700]), 720, 1280, 3.0)[2] == 720  # at most the frame


def _small_frames(count: int):
    """The bundled clip's first frames, and each with the face shrunk into a wide frame."""
    for frame in itertools.islice(read_video(FACE_CLIP), count):
        yield frame, far(frame, SCALE)


def test_a_face_too_small_for_the_whole_frame_is_found_and_followed_where_it_is():
    """Without the zoom MediaPipe sees no face in the wide frame; with it the face is found at
    the first frame and followed in every one, its points where the clip's own points put it
    (shrunk and moved) to within a tenth of the distance between the eyes."""
    with (
        FaceLandmarker.create(FaceLandmarkerOptions(zoom=None)) as whole,
        FaceLandmarker.create(FaceLandmarkerOptions()) as zoomed,
        FaceLandmarker.create(FaceLandmarkerOptions(zoom=None)) as reference,
    ):
        seen_whole, errors = 0, []
        for original, wide in _small_frames(45):
            seen_whole += whole.detect(wide) is not None
            face, truth = zoomed.detect(wide), reference.detect(original)
            assert face is not None and truth is not None
            expected = truth.ibug68 * SCALE + np.array(AT)
            iod = interocular_distance(expected[None])[0]
            errors.append(np.linalg.norm(face.ibug68 - expected, axis=1).mean() / iod)
    assert seen_whole == 0
    assert max(errors) < 0.1


@pytest.mark.slow
def test_run_reads_a_small_face_in_a_wide_video(tmp_path):
    """`edge-emo run` on a 720p video whose face is too small for the whole frame gives every
    second a face and probabilities."""
    video = tmp_path / "far.mp4"
    write(FACE_CLIP, SCALE, video, 90)
    out = tmp_path / "far.json"
    result = run_cli("run", str(video), "-o", str(out), "-q")
    assert result.returncode == 0, result.stderr
    timeline = json.loads(out.read_text())
    assert timeline["seconds_total"] == 3 and timeline["seconds_with_face"] == 3
    assert all(abs(sum(s["probs"].values()) - 1) < 1e-3 for s in timeline["seconds"])
