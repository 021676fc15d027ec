"""Still images moved into the video's face shape (`train --align-stills`, train/align.py)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import turned

from edge_emo.train.align import align_stills, aligned_dataset, still_offset
from edge_emo.train.data import Clip, ClipInfo, Dataset
from edge_emo.train.motion import NEUTRAL, face_frame
from edge_emo.train.splits import SubjectSplit
from edge_emo.train.synth import NEUTRAL as NEUTRAL_FACE
from edge_runtime.errors import InputError

FACE = NEUTRAL_FACE * 80 + np.array([320.0, 240.0])  # closed lips (gap 0.006 IOD)


def _video(face: np.ndarray, subject: str, frames: int = 30, teacher_neutral: float = 0.9) -> Clip:
    """A teacher-labelled video clip holding `face`."""
    soft = np.full((frames, 7), (1 - teacher_neutral) / 6)
    soft[:, NEUTRAL] = teacher_neutral
    return Clip(ClipInfo("v.csv", -1, subject), np.repeat(face[None], frames, axis=0), soft)


def _still(face: np.ndarray, label: int, subject: str) -> Clip:
    return Clip(ClipInfo("s.png", label, subject), face[None].copy())


def test_offset_runs_from_neutral_stills_to_calm_closed_mouth_video_per_person():
    """The offset is the mean of the video people's median calm shapes minus the mean
    closed-mouth neutral still, in the face frame: where or how large a face sits in the
    image does not matter, and open mouths, unsure frames and short people do not count."""
    long_chin = FACE.copy()
    long_chin[5:12, 1] += 8.0  # the video's lower face sits lower (10% of the 80 px IOD)
    talking = long_chin.copy()
    talking[57:60, 1] += 12.0  # lips apart: speech, left out
    talking[65:68, 1] += 12.0
    smile = FACE.copy()
    smile[[48, 54], 1] -= 6.0
    clips = [
        _video(turned(long_chin, 15.0, 1.5, (40, 10)), "p1"),
        _video(turned(talking, -5.0, 0.8, (0, 0)), "p1", frames=60),
        _video(long_chin, "p2", teacher_neutral=0.5),  # the teacher is not sure it is calm
        _video(long_chin, "p3", frames=5),  # too few frames to count
        _video(long_chin, "p4"),
        _still(turned(FACE, 30.0, 0.5, (5, 5)), NEUTRAL, "s1"),
        _still(FACE, NEUTRAL, "s2"),
        _still(smile, 1, "s3"),  # a smile: not a neutral still
    ]
    offset, record = still_offset(clips)
    assert record["video_people"] == 2 and record["neutral_stills"] == 2
    expected = face_frame(long_chin[None])[0] - face_frame(FACE[None])[0]
    assert np.allclose(offset, expected, atol=1e-5)
    assert record["rms"] == pytest.approx(np.sqrt((expected**2).sum(-1).mean()), abs=1e-4)
    # Either side missing: no offset, and the record says what was found.
    none, empty = still_offset(clips[:5])
    assert not none.any() and empty["neutral_stills"] == 0 and empty["rms"] == 0.0


def test_aligned_stills_get_the_offset_in_their_own_face_frame_and_video_stays():
    offset = np.zeros((68, 2), np.float32)
    offset[5:12, 1] = 0.1
    video = _video(FACE, "v")
    rolled = _still(turned(FACE, 25.0, 2.0, (30, 60)), 3, "a")
    lost = _still(np.full((68, 2), np.nan), 0, "b")
    moved = align_stills(Dataset([video, rolled, lost], "t", "t"), offset)
    assert moved.clips[0] is video and moved.clips[2] is lost
    assert np.allclose(face_frame(moved.clips[1].points), face_frame(rolled.points) + offset,
                       atol=1e-6)  # fmt: skip
    assert moved.clips[1].info is rolled.info  # label and subject kept
    assert np.array_equal(rolled.points, turned(FACE, 25.0, 2.0, (30, 60))[None])  # not changed


def test_aligned_dataset_measures_on_training_subjects_only_and_refuses_without_both_sides():
    """The offset comes from the training split (a validation person's face shape cannot
    leak into it), moves every still of the dataset, and is recorded; without calm video
    people or neutral stills `--align-stills` stops with one line."""
    long_chin = FACE.copy()
    long_chin[5:12, 1] += 8.0
    other = FACE.copy()
    other[5:12, 1] -= 8.0
    clips = [_video(long_chin, "t1"), _still(FACE, NEUTRAL, "t2"), _video(other, "v1"),
             _still(FACE, 2, "v2")]  # fmt: skip
    split = SubjectSplit(train=["t1", "t2"], val=["v1", "v2"], test=[])
    dataset, record = aligned_dataset(Dataset(clips, "t", "t"), split)
    expected = face_frame(long_chin[None])[0] - face_frame(FACE[None])[0]
    assert np.allclose(record["offset"], expected, atol=1e-4)
    assert record["video_people"] == 1 and record["neutral_stills"] == 1
    validation_still = dataset.clips[3]
    assert np.allclose(face_frame(validation_still.points)[0], face_frame(FACE[None])[0] + expected,
                       atol=1e-5)  # fmt: skip
    with pytest.raises(InputError, match="--align-stills: the training data needs video people"):
        aligned_dataset(Dataset(clips, "t", "t"), SubjectSplit(["t2"], ["v1"], []))
