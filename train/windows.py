"""From labelled clips to model inputs: random crops for training, all windows for evaluation.

Every window goes through `edge_runtime`'s gap filling, acceptance rule and
normalisation, so training sees exactly what inference will. A still image (a
one-frame clip) is held for the whole window; training adds tracker-like noise
(augment.py), evaluation holds it unchanged.

Targets are probability vectors: one-hot for a human label, or for a teacher-labelled
clip the mean of the teacher's per-frame probabilities over the window, each frame
weighted by the teacher's confidence (its top probability). Such a window's sample
weight is the top probability of that mean, so windows where the teacher was unsure
or changed its mind count less (a window of 0.4 confidence counts 0.4 of a sure one).
With a teacher mix A, a human-labelled clip that also has the teacher's view is taught
(1 - A) x its label + A x that mean (distillation), at full weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from edge_runtime.features.normalise import NUM_FEATURES, NormalisationSpec, normalise_window
from edge_runtime.features.windowing import make_windows, window_from_span
from edge_runtime.labels import LABELS, NUM_CLASSES

from .augment import NO_AUGMENT, AugmentOptions, augment_window
from .data import NO_LABEL, Clip
from .motion import overlay_motion

if TYPE_CHECKING:
    from .config import TrainConfig


@dataclass(frozen=True)
class TargetOptions:
    """How a window's target is made from its clip's labels."""

    min_confidence: float = 0.0  # teacher-labelled windows whose mean top is lower: no target
    teacher_mix: float = 0.0  # share of the teacher's view in a human-labelled clip's target
    # > 0: those unsure windows are taught (1 - this) x the teacher's mean + this x neutral,
    # at weight min_confidence, instead of being left out (talking with no clear expression)
    unsure_neutral: float = 0.0


@dataclass
class Crops:
    """Training windows: x (N, window, 136), targets (N, 7) probabilities, weights (N,)."""

    x: np.ndarray
    targets: np.ndarray
    weights: np.ndarray

    def __len__(self) -> int:
        return len(self.x)


def concat_crops(a: Crops, b: Crops) -> Crops:
    """Two sets of training windows as one."""
    return Crops(
        np.concatenate([a.x, b.x]),
        np.concatenate([a.targets, b.targets]),
        np.concatenate([a.weights, b.weights]),
    )


def video_crops(
    clips: Sequence[Clip],
    config: TrainConfig,
    rng: np.random.Generator,
    spec: NormalisationSpec,
    identity: np.ndarray | None = None,
) -> Crops:
    """`config.video_windows` random training windows of the video clips (stills left out)."""
    return moving_crops(clips, config.video_windows, config.window, rng, spec, config.augment,
                        config.targets, identity)  # fmt: skip


def moving_crops(
    clips: Sequence[Clip],
    count: int,
    window: int,
    rng: np.random.Generator,
    spec: NormalisationSpec,
    augment: AugmentOptions = NO_AUGMENT,
    targets: TargetOptions = TargetOptions(),
    identity: np.ndarray | None = None,
) -> Crops:
    """`count` random windows of the multi-frame clips (stills left out), each clip drawn in
    proportion to the windows it holds, so every second of video is equally likely."""
    videos = [c for c in clips if not c.still and len(c.points) > 1]
    if not videos or count <= 0:
        return random_crops([], window, 1, rng, spec)
    spans = np.array([max(len(c.points) - window + 1, 1) for c in videos], np.float64)
    picks = rng.choice(len(videos), count, p=spans / spans.sum())
    return random_crops([videos[i] for i in picks], window, 1, rng, spec, augment, targets,
                        identity=identity)  # fmt: skip


def teacher_mean(clip: Clip, start: int, stop: int) -> np.ndarray | None:
    """The teacher's probabilities over frames [start, stop) of `clip`, each frame weighted by
    its top probability; None where the teacher saw none of them."""
    if clip.soft is None:
        return None
    soft = clip.soft[0:1] if clip.still else clip.soft[start:stop]
    seen = np.isfinite(soft).all(axis=1)
    if not seen.any():
        return None
    frames = soft[seen]
    confidence = frames.max(axis=1)
    return (frames * confidence[:, None]).sum(axis=0) / confidence.sum()


def window_target(
    clip: Clip, start: int, stop: int, targets: TargetOptions = TargetOptions()
) -> tuple[np.ndarray, float] | None:
    """(target probabilities, sample weight) of frames [start, stop) of `clip`; None = no target.

    A teacher-labelled window whose target's top probability is below `min_confidence` has
    no target: an unsure teacher's mean (talking read as 40% anger) teaches the wrong thing;
    with `unsure_neutral` it is pulled towards neutral instead. A human label is one-hot,
    mixed with the teacher's view by `teacher_mix` where it has one.
    """
    if clip.info.label != NO_LABEL:
        label = np.eye(NUM_CLASSES)[clip.info.label]
        teacher = teacher_mean(clip, start, stop) if targets.teacher_mix else None
        if teacher is None:
            return label, 1.0
        return (1.0 - targets.teacher_mix) * label + targets.teacher_mix * teacher, 1.0
    mean = teacher_mean(clip, start, stop)
    if mean is None:
        return None
    if mean.max() < targets.min_confidence:
        if not targets.unsure_neutral:
            return None
        neutral = np.eye(NUM_CLASSES)[LABELS.index("neutral")]
        share = targets.unsure_neutral
        return (1.0 - share) * mean + share * neutral, targets.min_confidence
    return mean, float(mean.max())


def random_crops(
    clips: Sequence[Clip],
    window: int,
    per_clip: int,
    rng: np.random.Generator,
    spec: NormalisationSpec,
    augment: AugmentOptions = NO_AUGMENT,
    targets: TargetOptions = TargetOptions(),
    motion: np.ndarray | None = None,
    identity: np.ndarray | None = None,
) -> Crops:
    """`per_clip` random temporal crops of each clip (fewer if a crop is rejected), normalised.

    With `motion` (motion.motion_bank) a held still gets one of those real talking motions
    with probability `augment.real_talk_prob`; with `identity` (motion.identity_bank) any
    window gets one of those resting-shape deviations with probability `augment.identity_prob`."""
    xs, ys, ws = [], [], []
    for clip in clips:
        n = len(clip.points)
        for _ in range(per_clip):
            start = int(rng.integers(0, n - window + 1)) if n > window else 0
            span = (
                np.repeat(clip.points, window, axis=0)
                if clip.still
                else clip.points[start : start + window]
            )
            target = window_target(clip, start, start + window, targets)
            if target is None:
                continue
            talks = clip.still and motion is not None and len(motion) > 0
            if talks and augment.real_talk_prob and rng.random() < augment.real_talk_prob:
                span = overlay_motion(span, motion[int(rng.integers(len(motion)))])
            shifts = identity is not None and len(identity) > 0 and augment.identity_prob
            if shifts and rng.random() < augment.identity_prob:
                offset = augment.identity_scale * identity[int(rng.integers(len(identity)))]
                span = overlay_motion(span, np.broadcast_to(offset, span.shape))
            w = window_from_span(augment_window(span, rng, augment), start, window)
            if w.accepted:
                xs.append(normalise_window(w.points, spec))
                ys.append(target[0])
                ws.append(target[1])
    if not xs:
        return Crops(
            np.zeros((0, window, NUM_FEATURES), np.float32),
            np.zeros((0, NUM_CLASSES), np.float32),
            np.zeros((0,), np.float32),
        )
    return Crops(
        np.stack(xs).astype(np.float32),
        np.stack(ys).astype(np.float32),
        np.asarray(ws, dtype=np.float32),
    )


def clip_windows(
    clips: Sequence[Clip], window: int, hop: int, spec: NormalisationSpec
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All accepted windows of each clip: (X, labels, clip index of each window)."""
    xs, ys, owners = [], [], []
    for index, clip in enumerate(clips):
        points = np.repeat(clip.points, window, axis=0) if clip.still else clip.points
        for w in make_windows(points, window, hop):
            if w.accepted:
                xs.append(normalise_window(w.points, spec))
                ys.append(clip.label)
                owners.append(index)
    if not xs:
        empty = np.zeros((0, window, NUM_FEATURES), np.float32)
        return empty, np.zeros((0,), np.int64), np.zeros((0,), np.int64)
    return (
        np.stack(xs).astype(np.float32),
        np.asarray(ys, dtype=np.int64),
        np.asarray(owners, dtype=np.int64),
    )


def clip_predictions(window_probs: np.ndarray, owners: np.ndarray, n_clips: int) -> np.ndarray:
    """Mean window probabilities per clip -> (n_clips, classes); clips without windows get NaN."""
    out = np.full((n_clips, window_probs.shape[1] if window_probs.size else 0), np.nan)
    for i in range(n_clips):
        mine = window_probs[owners == i]
        if len(mine):
            out[i] = mine.mean(axis=0)
    return out
