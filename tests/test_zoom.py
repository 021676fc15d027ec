"""Faces too small for the whole frame, found in parts of it (edge_runtime/zoom.py): the
squares' geometry with small arrays, then a real face shrunk into a wide frame."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from conftest import FACE_CLIP, run_cli

from edge_emo.benchmarks.zoom_cost import far, write
from edge_runtime.face_landmarks import FaceLandmarker, FaceLandmarkerOptions, FaceObservation
from edge_runtime.features.landmarks import interocular_distance
from edge_runtime.sources.video import VideoFrame, read_video
from edge_runtime.zoom import ZoomSearch, follow_box, search_boxes

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


class _Squares:
    """A stand-in IMAGE-mode landmarker: counts the squares it is shown, and sees a face where
    a square holds a whole 20x20 white patch (mesh points on its corners)."""

    def __init__(self):
        self.shown = 0

    def detect(self, frame: VideoFrame) -> FaceObservation | None:
        self.shown += 1
        white = np.argwhere(frame.image[..., 0] == 255)
        if len(white) != 400:
            return None
        (y0, x0), (y1, x1) = white.min(axis=0), white.max(axis=0) + 1
        mesh = np.zeros((478, 3), np.float32)
        mesh[:, :2] = [x0, y0]
        mesh[1, :2] = [x1, y1]
        return FaceObservation(mesh, np.full((68, 2), [(x0 + x1) / 2, (y0 + y1) / 2]), 1)


def test_search_runs_at_most_once_a_second_and_a_found_face_is_followed_in_one_square():
    """With nothing to find, the squares are searched once per second of source time (at
    once again if the clock restarts); a face found is then looked for in one square around
    it each frame, its points in the whole frame's pixels, and searched for again when lost."""
    empty = np.zeros((720, 1280, 3), np.uint8)
    patch = empty.copy()
    patch[500:520, 1000:1020] = 255  # the "face", too small for the whole frame
    fake = _Squares()
    search = ZoomSearch.create(lambda: fake)
    for t in (0.0, 0.3, 0.9):
        assert search.detect(VideoFrame(0, t, empty)) is None
    assert fake.shown == 21  # one search: the 21 squares of a 720p frame
    search.detect(VideoFrame(1, 1.0, empty))
    search.detect(VideoFrame(2, 0.1, empty))  # a clock that restarted
    assert fake.shown == 63
    search = ZoomSearch.create(lambda: fake)
    face = search.detect(VideoFrame(0, 0.0, patch))
    assert face is not None and np.allclose(face.ibug68, [1010, 510])  # whole-frame pixels
    assert search.box == (980, 480, 60)  # three times the 20 px face, around it
    shown = fake.shown
    assert search.detect(VideoFrame(1, 1 / 30, patch)) is not None and fake.shown == shown + 1
    assert search.detect(VideoFrame(2, 2 / 30, empty)) is None and search.box is None  # lost
    assert fake.shown == shown + 2  # and no new search before a second has passed
    search.seen_whole()
    assert search.box is None


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
