"""Augmentation that mimics a real face tracker, applied to pixel landmarks before normalisation.

MediaPipe on a live face jitters by a fraction of a pixel to a few pixels per point and
frame, the head rolls and turns (a turn foreshortens the face sideways), and now and
then a frame is lost. People also talk and blink whatever they feel. Training windows
get the same (talking and blinking from the synthetic generator's jaw, lip and lid
motion, synth.py), so a model trained partly on held still images meets moving, noisy,
talking real video without surprise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from edge_runtime.features.landmarks import IBUG68_MIRROR, interocular_distance
from edge_runtime.features.normalise import face_centre


@dataclass(frozen=True)
class AugmentOptions:
    """Strengths; all zero = off. Recorded in the model's metadata (train_config)."""

    jitter: float = 0.01  # per point and frame, Gaussian std in inter-ocular distances
    rotate_deg: float = 10.0  # in-plane roll, uniform +-, one angle per window
    scale: float = 0.08  # per-axis scale 1 +- this (yaw/pitch foreshortening), per window
    drop_prob: float = 0.3  # chance that a window loses a run of frames
    drop_max: int = 8  # longest lost run, frames (gaps <= 15 are bridged by windowing)
    talk_prob: float = 0.0  # chance that a window gets speech-like jaw/lip motion and blinks
    talk_amp: float = 0.10  # largest jaw opening, in inter-ocular distances
    mirror_prob: float = 0.0  # chance that a window is reflected left-right (a mirrored person)
    real_talk_prob: float = 0.0  # chance that a held still gets real relaxed talking (motion.py)
    identity_prob: float = 0.0  # chance that a window gets another person's resting shape
    identity_scale: float = 0.33  # of that shape's deviation (motion.identity_bank says why)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def off(self) -> bool:
        return not (
            self.jitter
            or self.rotate_deg
            or self.scale
            or self.drop_prob
            or self.talk_prob
            or self.mirror_prob
        )


NO_AUGMENT = AugmentOptions(0.0, 0.0, 0.0, 0.0, 0, 0.0)


def talking(n: int, rng: np.random.Generator, amp: float) -> np.ndarray:
    """(n, 68, 2) displacement in inter-ocular distances: syllables at 3-5 Hz, and blinks."""
    from .synth import AU_PATTERNS, NEUTRAL, _jaw_drop

    t = np.arange(n) / 30.0
    rate = rng.uniform(3.0, 5.0)
    syllables = np.abs(np.sin(np.pi * rate * t + rng.uniform(0, np.pi))) ** 1.5
    opening = rng.uniform(0.3, 1.0) * amp * syllables
    disp = opening[:, None, None] * (_jaw_drop(1.0) + 0.5 * AU_PATTERNS[25])[None]
    blink_t = rng.uniform(0, 2.0)
    while blink_t < t[-1]:
        closure = np.exp(-(((t - blink_t) / 0.06) ** 2))
        for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
            disp[:, upper, 1] += 0.9 * (NEUTRAL[lower, 1] - NEUTRAL[upper, 1]) * closure
        blink_t += rng.uniform(2.0, 6.0)
    return disp


def mirror_window(points: np.ndarray, centre_x: float) -> np.ndarray:
    """(T, 68, 2) points reflected about the vertical line x = centre_x, each point moved to
    its mirror partner's index (left eye corner <-> right eye corner), so it is a face again."""
    out = np.array(points, dtype=np.float64, copy=True)
    out[..., 0] = 2 * centre_x - out[..., 0]
    return out[:, list(IBUG68_MIRROR)]


def augment_window(
    points: np.ndarray, rng: np.random.Generator, options: AugmentOptions
) -> np.ndarray:
    """A perturbed copy of a (T, 68, 2) pixel window (NaN = missing frame)."""
    if options.off:
        return points
    out = np.array(points, dtype=np.float64, copy=True)
    tracked = np.isfinite(out).all(axis=(1, 2))
    if not tracked.any():
        return out
    iod = float(np.median(interocular_distance(out[tracked]))) or 1.0
    if options.talk_prob and rng.random() < options.talk_prob:
        out += talking(len(out), rng, options.talk_amp) * iod  # before the head rolls
    centre = face_centre(out[tracked]).mean(axis=0)
    if options.mirror_prob and rng.random() < options.mirror_prob:
        out = mirror_window(out, float(centre[0]))
    angle = np.deg2rad(rng.uniform(-options.rotate_deg, options.rotate_deg))
    sx, sy = 1 + rng.uniform(-options.scale, options.scale, size=2)
    cos, sin = np.cos(angle), np.sin(angle)
    transform = np.array([[cos, -sin], [sin, cos]]) @ np.diag([sx, sy])
    out = (out - centre) @ transform.T + centre
    if options.jitter:
        out += rng.normal(0.0, options.jitter * iod, size=out.shape)
    if options.drop_max and rng.random() < options.drop_prob:
        length = int(rng.integers(1, options.drop_max + 1))
        start = int(rng.integers(0, max(1, len(out) - length)))
        out[start : start + length] = np.nan
    return out
