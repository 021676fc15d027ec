"""Still images moved into the video's face shape (training only: `train --align-stills`).

The landmarks of the still images that carry most labels (FER2013's 48x48 crops, CK+48,
JAFFE) and those of real video differ in a way no expression explains: with closed mouths
and a neutral face, the video's mouth sits lower and its chin far lower, by RMS 0.083
inter-ocular distances over all points (chin 0.19) on the default model's data, while
FER2013's happy-minus-neutral face differs by 0.028 and sad-minus-neutral by 0.014
(2026-12-01; the validation people show the same, 0.085). A model that learns expressions
from the stills then sees every video face as one with a stretched lower half.

`still_offset` measures that difference on the training data itself (calm, closed-mouth
video frames per person against closed-mouth neutral stills) and `align_stills` lays it on
every still image, so stills and video meet in the video's shape. The runtime is unchanged:
video is what it reads. Measured on the 36-person validation split (2026-12-01, `train
--align-stills`): S36 0.688 against 0.755, relaxed talking read sadness more (4 -> 13 of 82
viewed seconds) though anger less (6 -> 3), so it is off by default.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from edge_runtime.errors import InputError

from .data import Clip, Dataset
from .motion import NEUTRAL, face_frame, overlay_motion
from .splits import SubjectSplit

MAX_LIP_GAP = 0.03  # inner-lip opening (point 66 below 62), inter-ocular distances: closed
MIN_NEUTRAL = 0.6  # the teacher's neutral probability for a calm video frame
MIN_FRAMES = 10  # a video person counts with at least this many calm closed-mouth frames


def closed_mouth(shapes: np.ndarray) -> np.ndarray:
    """(T,) True where the face-frame shapes' lips are closed (speech and open mouths left out)."""
    return shapes[:, 66, 1] - shapes[:, 62, 1] < MAX_LIP_GAP


def calm_frames(clip: Clip) -> np.ndarray:
    """(T,) True on a video clip's tracked frames that are neutral: its human label, or the
    teacher's neutral probability >= MIN_NEUTRAL on that frame."""
    tracked = np.isfinite(clip.points).all(axis=(1, 2))
    if clip.info.label == NEUTRAL:
        return tracked
    if clip.soft is None:
        return np.zeros(len(clip.points), bool)
    with np.errstate(invalid="ignore"):
        return tracked & (clip.soft[:, NEUTRAL] >= MIN_NEUTRAL)


def still_offset(clips: Sequence[Clip]) -> tuple[np.ndarray, dict]:
    """The (68, 2) face-frame offset from closed-mouth neutral stills to calm closed-mouth
    video (the mean over video people of each one's median shape), and a record of it.

    Zero offset, with the record saying why, when either side is missing."""
    people: dict[str, list[np.ndarray]] = defaultdict(list)
    stills = []
    for clip in clips:
        if clip.still:
            if clip.info.label == NEUTRAL and np.isfinite(clip.points).all():
                stills.append(face_frame(clip.points)[0])
            continue
        calm = calm_frames(clip)
        if calm.any():
            shapes = face_frame(clip.points[calm])
            people[clip.subject].append(shapes[closed_mouth(shapes)])
    medians = [
        np.median(np.concatenate(frames), axis=0)
        for frames in people.values()
        if sum(len(f) for f in frames) >= MIN_FRAMES
    ]
    still_shapes = np.asarray(stills).reshape(-1, 68, 2)
    still_shapes = still_shapes[closed_mouth(still_shapes)] if len(still_shapes) else still_shapes
    record = {
        "video_people": len(medians),
        "neutral_stills": len(still_shapes),
        "max_lip_gap": MAX_LIP_GAP,
        "min_neutral": MIN_NEUTRAL,
        "min_frames": MIN_FRAMES,
    }
    if not medians or not len(still_shapes):
        return np.zeros((68, 2), np.float32), record | {"rms": 0.0}
    offset = np.mean(medians, axis=0) - still_shapes.mean(axis=0)
    rms = float(np.sqrt((offset**2).sum(axis=-1).mean()))
    return offset.astype(np.float32), record | {"rms": round(rms, 4)}


def align_stills(dataset: Dataset, offset: np.ndarray) -> Dataset:
    """`dataset` with `offset` (68, 2, face frame) laid on every still image; video as it was."""
    clips = [
        replace(c, points=overlay_motion(c.points, offset[None]).astype(c.points.dtype))
        if c.still and np.isfinite(c.points).all()
        else c
        for c in dataset.clips
    ]
    return Dataset(clips, dataset.source, dataset.description, dataset.skipped)


def aligned_dataset(dataset: Dataset, split: SubjectSplit) -> tuple[Dataset, dict]:
    """`dataset` with every still moved by the offset its training subjects measure (so no
    validation person's face shape leaks in), and the record of that offset for the metadata."""
    offset, record = still_offset(dataset.subset(split.train).clips)
    if not record["video_people"] or not record["neutral_stills"]:
        raise InputError(
            f"--align-stills: the training data needs video people with at least "
            f"{record['min_frames']} calm closed-mouth frames and closed-mouth neutral stills "
            f"(found {record['video_people']} and {record['neutral_stills']})"
        )
    return align_stills(dataset, offset), record | {"offset": np.round(offset, 4).tolist()}
