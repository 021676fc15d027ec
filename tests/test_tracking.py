"""Face identities across frames (tracking.py), with boxes moving as people do."""

from __future__ import annotations

import itertools

import numpy as np
from conftest import FACE_CLIP

from edge_runtime.face_landmarks import FaceLandmarker, FaceLandmarkerOptions
from edge_runtime.sources.video import VideoFrame, read_video
from edge_runtime.tracking import FaceTracker, TrackerOptions, box_iou, centre_distance

FPS = 30


def box(cx: float, cy: float, size: float = 80.0) -> np.ndarray:
    return np.array([cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2])


def test_overlap_and_distance():
    assert box_iou(box(100, 100), box(100, 100)) == 1.0
    assert box_iou(box(100, 100), box(300, 100)) == 0.0
    assert 0.3 < box_iou(box(100, 100), box(130, 100)) < 0.5
    assert centre_distance(box(100, 100), box(140, 100)) == 0.5


def test_two_people_keep_their_ids_while_they_move():
    tracker = FaceTracker()
    seen = set()
    for k in range(3 * FPS):
        t = k / FPS
        ids = tracker.update(t, [box(150 + 20 * t, 200), box(450 - 10 * t, 220 + 5 * t)])
        seen.add(tuple(ids))
    assert seen == {(1, 2)}


def test_a_person_who_looks_away_for_a_moment_keeps_the_id_a_long_absence_does_not():
    tracker = FaceTracker(TrackerOptions(memory_s=2.0))
    for k in range(FPS):
        tracker.update(k / FPS, [box(150, 200), box(450, 200)])
    for k in range(FPS, 2 * FPS):  # the second person turns away for 1 s
        assert tracker.update(k / FPS, [box(150, 200)]) == [1]
    assert tracker.update(2.0, [box(150, 200), box(455, 205)]) == [1, 2]
    for k in range(2 * FPS + 1, 6 * FPS):  # now away for 4 s: the track ends, once
        tracker.update(k / FPS, [box(150, 200)])
        if tracker.ended:
            assert [t.id for t in tracker.ended] == [2] and k / FPS > 4.0
    assert 2 not in tracker.tracks
    assert tracker.update(6.0, [box(150, 200), box(450, 200)]) == [1, 3]  # ids are never reused


def test_a_face_entering_mid_clip_gets_a_new_id_and_changes_no_other():
    tracker = FaceTracker()
    ids = [tracker.update(k / FPS, [box(150, 200)]) for k in range(FPS)]
    ids += [tracker.update(k / FPS, [box(150, 200), box(460, 210)]) for k in range(FPS, 2 * FPS)]
    assert ids[0] == [1] and ids[-1] == [1, 2] and all(i[0] == 1 for i in ids)


def test_two_people_swapping_places_are_followed_through_the_crossing():
    """They walk past each other (their boxes overlap in the middle): the ids go with them,
    because each track is looked for where its motion takes it."""
    tracker = FaceTracker()
    switches = 0
    for k in range(4 * FPS):
        t = k / FPS
        a, b = box(100 + 100 * t, 200), box(500 - 100 * t, 210)  # A goes right, B goes left
        ids = tracker.update(t, [a, b])
        switches += ids != [1, 2]
    assert switches == 0


def test_two_real_faces_side_by_side_are_found_and_keep_their_ids():
    """Real footage: the test clip twice, side by side, 1.5 s apart (two different faces)."""
    images = [f.image for f in itertools.islice(read_video(FACE_CLIP), 36 + 48)]
    tracker, seen = FaceTracker(), set()
    with FaceLandmarker.create(FaceLandmarkerOptions(max_faces=2)) as landmarker:
        for k in range(48):  # 2 s
            frame = VideoFrame(k, k / 24, np.hstack([images[k], images[k + 36]]))
            faces = landmarker.detect_all(frame)
            assert len(faces) == 2 and faces[0].face_count == 2
            boxes = [np.r_[f.mesh[:, :2].min(axis=0), f.mesh[:, :2].max(axis=0)] for f in faces]
            ids = tracker.update(frame.timestamp_s, boxes)
            left = ids[int(np.argmin([b[0] for b in boxes]))]  # MediaPipe's order may change
            seen.add(left)
            largest = landmarker.detect(frame)  # one face, as --max-faces 1 does today
            assert largest is not None and largest.face_count == 2
    assert len(seen) == 1 and sorted(tracker.tracks) == [1, 2]  # no identity switch
