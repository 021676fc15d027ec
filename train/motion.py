"""Real talking motion laid over held still images, and other people's resting shapes laid
over any window (training only).

A still image held for a window never moves, while nearly every second of video does: the
mouth talks, the eyes blink, the head nods. Trained on both, a model can learn that a moving
mouth means video, and video is mostly neutral, so a smile made while talking reads neutral
(the default model's main failure on real people). This takes the motion of real relaxed
talking from the training video (each window's face-aligned points minus their mean over
the window: what moves, not who it is) and adds it to held stills, so a smiling still talks
as a real face does and keeps its label. Measured on the 36-person validation split
(2026-12-01, `train --real-talk 0.5`): no gain (S36 0.763 against 0.755; the talking smiles
it was aimed at read happiness 4 of 18 times either way), so it is off by default.

A resting face is not the average face either: one person's mouth corners turn down,
another's up, and the model can read that as sadness or happiness in every second (the
held-out people added 2026-12-01 night). `identity_bank` measures how far real neutral faces
(human-labelled neutral stills, each its own person) sit from their mean; a window can get
one of those deviations on every frame (`train --identity P`), so a static offset of that
kind stops meaning an expression. Measured the same way (2026-12-01 night, `--identity 0.5`):
S36 0.717 against 0.755, posed expressions read worse, so it is off by default too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from edge_runtime.features.landmarks import interocular_distance
from edge_runtime.features.normalise import face_centre, roll_angle, rotate_frames
from edge_runtime.labels import LABELS

from .data import Clip

NEUTRAL = LABELS.index("neutral")


def eye_frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each frame's face centre (T, 2), roll (T,) and inter-ocular distance (T,) of (T, 68, 2)
    points: the frame in which face motion is measured and laid back."""
    return face_centre(points), roll_angle(points), interocular_distance(points)


def face_frame(points: np.ndarray) -> np.ndarray:
    """(T, 68, 2) pixel points, each frame centred, levelled and scaled to inter-ocular
    distances: a face's shape, wherever and however large it was in the image."""
    centre, angle, iod = eye_frame(points)
    return rotate_frames(points - centre[:, None], -angle) / iod[:, None, None]


def face_motion(points: np.ndarray) -> np.ndarray:
    """What moves in a (T, 68, 2) window of tracked pixel points: its `face_frame` shapes
    minus the window's mean shape."""
    aligned = face_frame(points)
    return aligned - aligned.mean(axis=0, keepdims=True)


def overlay_motion(points: np.ndarray, motion: np.ndarray) -> np.ndarray:
    """(T, 68, 2) pixel points with `motion` (T, 68, 2, in the face frame) added, turned and
    scaled into each frame's own face frame."""
    _, angle, iod = eye_frame(points)
    return points + rotate_frames(motion, angle) * iod[:, None, None]


def _calm(clip: Clip, start: int, stop: int, min_neutral: float) -> bool:
    """Frames [start, stop) are neutral: the clip's human label, or the teacher's mean."""
    if clip.info.label == NEUTRAL:
        return True
    if clip.soft is None:
        return False
    mean = clip.soft[start:stop].mean(axis=0)
    return bool(np.isfinite(mean).all() and mean.argmax() == NEUTRAL and mean.max() >= min_neutral)


def motion_bank(
    clips: Sequence[Clip],
    window: int,
    count: int,
    rng: np.random.Generator,
    min_neutral: float = 0.6,
) -> np.ndarray:
    """Up to `count` motions (K, window, 68, 2) of fully tracked video windows that are
    neutral (relaxed talking: a person's label, or the teacher's mean >= `min_neutral`),
    drawn in proportion to each clip's length. Empty when the data has no such video."""
    videos = [c for c in clips if not c.still and len(c.points) >= window]
    if not videos or count <= 0:
        return np.zeros((0, window, 68, 2), np.float32)
    spans = np.array([len(c.points) - window + 1 for c in videos], np.float64)
    out = []
    for _ in range(count * 4):  # tries: windows with lost frames or not neutral are skipped
        clip = videos[int(rng.choice(len(videos), p=spans / spans.sum()))]
        start = int(rng.integers(0, len(clip.points) - window + 1))
        span = clip.points[start : start + window]
        if np.isfinite(span).all() and _calm(clip, start, start + window, min_neutral):
            out.append(face_motion(span))
            if len(out) == count:
                break
    return np.asarray(out, np.float32).reshape(-1, window, 68, 2)


def identity_bank(clips: Sequence[Clip], count: int, rng: np.random.Generator) -> np.ndarray:
    """Up to `count` resting-shape deviations (K, 68, 2) in the face frame: human-labelled
    neutral stills, each aligned as `face_motion` aligns a frame, minus their mean. Empty when
    the data has fewer than two such stills.

    On the default model's stills these deviations are RMS 0.14 inter-ocular distances at the
    mouth corners, while the resting shapes of its video people (per-person medians of calm
    frames) differ by a third of that: head pose and 48x48 landmarks make the rest, so
    windows get them at `AugmentOptions.identity_scale` (a third) of their size."""
    neutral = [
        c for c in clips
        if c.still and c.info.label == NEUTRAL and np.isfinite(c.points[0]).all()
    ]  # fmt: skip
    if len(neutral) < 2 or count <= 0:
        return np.zeros((0, 68, 2), np.float32)
    picks = rng.choice(len(neutral), min(count, len(neutral)), replace=False)
    shapes = face_frame(np.stack([neutral[i].points[0] for i in picks]).astype(np.float64))
    return (shapes - shapes.mean(axis=0, keepdims=True)).astype(np.float32)
