"""Synthetic FACS-prototype landmark clips in the exact RAVDESS CSV format and naming.

What it is: a test and demonstration source, so the whole pipeline (load, train,
convert, run) can be exercised where RAVDESS cannot be downloaded. It is NOT real
faces, and accuracy on it says nothing about accuracy on real people.

How a clip is made (all in inter-ocular-distance units, then projected to pixels):
- Neutral face: the median of the frames with the most closed mouth in the bundled
  Pexels clip (tests/data/face_clip.mp4), extracted with `edge-emo extract` and
  normalised with `centre-iod-v1`, then made left/right symmetric (NEUTRAL_MEASURED).
- Actor: a fixed per-actor face shape (width, height, eye spacing, mouth width, jaw,
  small per-point offsets) and a per-actor expressiveness factor, so subject-disjoint
  splits are a real generalisation test.
- Expression: the emotion's prototype action units (AUs), after Ekman, Friesen & Hager,
  FACS Investigator's Guide (2002) and the EMFACS prototypes as commonly summarised:
  happiness AU6+12(+25), sadness AU1+4+15(+17), surprise AU1+2+5+26, fear
  AU1+2+4+5+20+26, anger AU4+5+7+23, disgust AU9+15+16(+10). Each AU is a displacement
  pattern of the 68 points described in the FACS manual's appearance changes (AU_PATTERNS);
  magnitudes are our estimates (up to ~0.15 IOD for jaw drop, ~0.1 for brows and lip corners).
  Intensity is random (strong clips larger), per-AU weights vary, and the time course
  is onset (0.2-1.0 s) - apex - partial offset, smoothed.
- Nuisances independent of the emotion: speech-like jaw/lip motion at 3-5 syllables/s,
  blinks (AU45) every 2-6 s, head roll/yaw/pitch of a few degrees with slow drift,
  translation and distance drift, tracker jitter (0.6% IOD), and rare tracking failures
  (confidence 0, as OpenFace writes them).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from edge_runtime.atomic import write_text
from edge_runtime.features.landmarks import IBUG68_MIRROR
from edge_runtime.labels import LABELS

# fmt: off
NEUTRAL_MEASURED = np.array([
    [-0.669, -0.041], [-0.656, 0.108], [-0.622, 0.422], [-0.582, 0.570], [-0.517, 0.733],
    [-0.443, 0.870], [-0.306, 1.003], [-0.147, 1.092], [0.036, 1.165], [0.222, 1.145],
    [0.361, 1.076], [0.549, 0.913], [0.635, 0.760], [0.708, 0.591], [0.743, 0.343],
    [0.794, 0.111], [0.795, -0.042], [-0.625, -0.196], [-0.556, -0.278], [-0.462, -0.301],
    [-0.329, -0.293], [-0.159, -0.231], [0.150, -0.201], [0.326, -0.257], [0.469, -0.266],
    [0.564, -0.226], [0.671, -0.163], [-0.004, -0.065], [-0.007, 0.063], [-0.011, 0.208],
    [-0.016, 0.334], [-0.160, 0.418], [-0.099, 0.438], [-0.018, 0.469], [0.077, 0.438],
    [0.147, 0.414], [-0.509, -0.015], [-0.409, 0.002], [-0.291, -0.004], [-0.203, -0.018],
    [-0.290, 0.004], [-0.411, 0.013], [0.202, 0.004], [0.303, 0.026], [0.390, 0.037],
    [0.513, 0.016], [0.421, 0.034], [0.300, 0.023], [-0.289, 0.641], [-0.185, 0.603],
    [-0.080, 0.575], [0.010, 0.601], [0.104, 0.589], [0.197, 0.604], [0.351, 0.648],
    [0.238, 0.736], [0.117, 0.796], [0.018, 0.798], [-0.074, 0.783], [-0.178, 0.728],
    [-0.243, 0.648], [-0.057, 0.658], [0.013, 0.665], [0.099, 0.665], [0.296, 0.656],
    [0.097, 0.673], [0.016, 0.671], [-0.089, 0.663],
])
"""Measured neutral face (see module docstring), x right, y down, IOD units."""

# fmt: on


def symmetric_neutral() -> np.ndarray:
    """NEUTRAL_MEASURED averaged with its mirror image, centred on the nose bridge."""
    mirrored = NEUTRAL_MEASURED[list(IBUG68_MIRROR)] * np.array([-1.0, 1.0])
    face = (NEUTRAL_MEASURED + mirrored) / 2
    face[:, 0] -= face[27:31, 0].mean()
    return face


NEUTRAL = symmetric_neutral()

# Point groups (iBUG indices).
BROW_INNER = (20, 21, 22, 23)
BROW_OUTER = (17, 18, 25, 26)
BROWS = tuple(range(17, 27))
UPPER_LIDS = (37, 38, 43, 44)
LOWER_LIDS = (40, 41, 46, 47)
LIP_CORNERS = (48, 54, 60, 64)
UPPER_LIP = (49, 50, 51, 52, 53, 61, 62, 63)
LOWER_LIP = (55, 56, 57, 58, 59, 65, 66, 67)
NOSE_WINGS = (31, 32, 33, 34, 35)
CHIN_JAW = tuple(range(4, 13))


def _pattern(*moves: tuple[tuple[int, ...], float, float]) -> np.ndarray:
    """Build a (68, 2) displacement: each move is (points, dx toward the face's outside, dy down)."""
    disp = np.zeros((68, 2))
    for points, dx_out, dy in moves:
        for p in points:
            side = np.sign(NEUTRAL[p, 0]) if abs(NEUTRAL[p, 0]) > 0.02 else 0.0
            disp[p] += (side * dx_out, dy)
    return disp


def _jaw_drop(amount: float) -> np.ndarray:
    """Jaw and lower lip move down, more toward the chin (AU26/27, speech)."""
    disp = np.zeros((68, 2))
    for p in (*CHIN_JAW, *LOWER_LIP):
        depth = np.clip((NEUTRAL[p, 1] - 0.45) / 0.7, 0, 1)  # 0 at the nose, 1 at the chin
        disp[p, 1] += amount * depth
    disp[list(LIP_CORNERS), 1] += amount * 0.35
    return disp


AU_PATTERNS: dict[int, np.ndarray] = {
    1: _pattern((BROW_INNER, -0.01, -0.10), ((19, 24), 0.0, -0.05)),  # inner brow raiser
    2: _pattern((BROW_OUTER, 0.01, -0.10), ((19, 24), 0.0, -0.06)),  # outer brow raiser
    4: _pattern(
        (BROW_INNER, -0.05, 0.07), ((17, 18, 19, 24, 25, 26), -0.02, 0.04), (UPPER_LIDS, 0.0, 0.015)
    ),
    5: _pattern((UPPER_LIDS, 0.0, -0.045)),  # upper lid raiser
    6: _pattern((LOWER_LIDS, 0.0, -0.03), ((36, 45), 0.0, -0.01), ((1, 2, 14, 15), 0.0, -0.03)),
    7: _pattern((LOWER_LIDS, 0.0, -0.03), (UPPER_LIDS, 0.0, 0.012)),  # lid tightener
    9: _pattern(
        (NOSE_WINGS, 0.01, -0.04),
        ((29, 30), 0.0, -0.02),
        (BROW_INNER, -0.01, 0.03),
        (UPPER_LIP, 0.0, -0.025),
    ),
    10: _pattern((UPPER_LIP, 0.0, -0.05), ((48, 54), 0.0, -0.015)),  # upper lip raiser
    12: _pattern(((48, 54), 0.07, -0.07), ((60, 64), 0.05, -0.05), ((49, 53, 59, 55), 0.03, -0.03)),
    15: _pattern(((48, 54), 0.0, 0.06), ((60, 64), 0.0, 0.04), ((49, 53, 55, 59), 0.0, 0.02)),
    16: _pattern((LOWER_LIP, 0.0, 0.05)),  # lower lip depressor
    17: _pattern(((56, 57, 58), 0.0, -0.04), ((7, 8, 9), 0.0, -0.02)),  # chin raiser
    20: _pattern(((48, 54), 0.07, 0.015), ((60, 64), 0.05, 0.01), ((49, 53, 55, 59), 0.03, 0.0)),
    23: _pattern(
        ((48, 54, 60, 64), -0.03, 0.0), ((50, 51, 52), 0.0, 0.015), ((56, 57, 58), 0.0, -0.015)
    ),
    25: _pattern(((65, 66, 67), 0.0, 0.03), ((55, 56, 57, 58, 59), 0.0, 0.015)),  # lips part
    26: _jaw_drop(0.15),
}

# Prototype AUs per label; optional AUs (second tuple) appear in about half the clips.
PROTOTYPES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "neutral": ((), ()),
    "happiness": ((6, 12), (25,)),
    "sadness": ((1, 4, 15), (17,)),
    "anger": ((4, 5, 7, 23), (17,)),
    "fear": ((1, 2, 4, 5, 20, 26), (25,)),
    "disgust": ((9, 15, 16), (10,)),
    "surprise": ((1, 2, 5, 26), (25,)),
}

RAVDESS_CODE = {
    "neutral": 1, "happiness": 3, "sadness": 4, "anger": 5, "fear": 6, "disgust": 7, "surprise": 8,
}  # fmt: skip

FPS = 30.0
FRAME_SIZE = (1280, 720)


def ravdess_header() -> list[str]:
    """The 712 OpenFace 2.1 columns of RAVDESS Facial Landmark Tracking, in order."""
    cols = ["frame", "timestamp", "confidence"]
    cols += [f"gaze_{e}_{a}" for e in (0, 1) for a in "xyz"] + ["gaze_angle_x", "gaze_angle_y"]
    cols += [f"eye_lmk_{a}_{i}" for a in ("x", "y", "X", "Y", "Z") for i in range(56)]
    cols += ["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"]
    cols += [f"{a}_{i}" for a in ("x", "y") for i in range(68)]
    cols += [f"{a}_{i}" for a in ("X", "Y", "Z") for i in range(68)]
    cols += ["p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"] + [f"p_{i}" for i in range(34)]
    aus = [
        "01",
        "02",
        "04",
        "05",
        "06",
        "07",
        "09",
        "10",
        "12",
        "14",
        "15",
        "17",
        "20",
        "23",
        "25",
        "26",
        "45",
    ]
    cols += [f"AU{a}_r" for a in aus]
    cols += [f"AU{a}_c" for a in [*aus[:-1], "28", "45"]]
    return cols


HEADER = ravdess_header()
X0 = HEADER.index("x_0")


def _ramp(t: np.ndarray, start: float, width: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(t - start - width / 2) / max(width / 6, 1e-3)))


class ActorFace:
    """A synthetic actor: face shape, expressiveness and habits fixed across their clips."""

    def __init__(self, rng: np.random.Generator) -> None:
        face = NEUTRAL.copy()
        face[:, 0] *= rng.uniform(0.9, 1.1)
        face[:, 1] *= rng.uniform(0.9, 1.1)
        eyes = list(range(36, 48))
        face[eyes, 0] *= rng.uniform(0.95, 1.05)
        mouth = list(range(48, 68))
        face[mouth, 0] *= rng.uniform(0.88, 1.12)
        face[list(CHIN_JAW), 1] += rng.uniform(-0.06, 0.06)
        face += rng.normal(0, 0.012, face.shape)
        self.face = face
        self.expressiveness = rng.uniform(0.6, 1.2)
        self.au_bias = {au: rng.uniform(0.7, 1.3) for au in AU_PATTERNS}
        self.iod_px = rng.uniform(80, 120)
        self.centre = np.array([rng.uniform(560, 720), rng.uniform(300, 400)])
        self.speech_amp = rng.uniform(0.04, 0.10)


def make_clip(
    actor: ActorFace, label: str, strong: bool, rng: np.random.Generator, song: bool = False
) -> np.ndarray:
    """(T, 68, 2) pixel landmarks of one clip, NaN rows marking tracking failures."""
    n = int(rng.integers(95, 122))
    t = np.arange(n) / FPS
    duration = n / FPS
    required, optional = PROTOTYPES[label]
    aus = list(required) + [au for au in optional if rng.random() < 0.5]
    base = rng.uniform(0.8, 1.25) if strong else rng.uniform(0.45, 0.85)
    onset = rng.uniform(0.2, 1.0)
    rise = rng.uniform(0.2, 0.6)
    offset = rng.uniform(duration - 0.6, duration + 0.5)
    course = _ramp(t, onset, rise) * (1 - 0.6 * _ramp(t, offset, 0.5))
    disp = np.zeros((n, 68, 2))
    for au in aus:
        weight = base * actor.expressiveness * actor.au_bias[au] * rng.uniform(0.75, 1.2)
        disp += (weight * course)[:, None, None] * AU_PATTERNS[au]
    # Speech (or singing): jaw and lips move with syllables, whatever the emotion.
    rate = rng.uniform(1.5, 2.5) if song else rng.uniform(3.0, 5.0)
    speak_start, speak_len = rng.uniform(0.3, 1.2), rng.uniform(1.2, 2.2)
    talking = _ramp(t, speak_start, 0.15) * (1 - _ramp(t, speak_start + speak_len, 0.15))
    syllables = np.abs(np.sin(np.pi * rate * t + rng.uniform(0, np.pi))) ** 1.5
    opening = actor.speech_amp * rng.uniform(0.7, 1.3) * talking * syllables
    disp += opening[:, None, None] * (_jaw_drop(1.0) + AU_PATTERNS[25] * 0.5)[None]
    rounding = 0.02 * talking * np.sin(np.pi * rate * 0.5 * t)
    disp[:, list(LIP_CORNERS), 0] -= rounding[:, None] * np.sign(actor.face[list(LIP_CORNERS), 0])
    # Blinks.
    blink_t = rng.uniform(0, 2.0)
    while blink_t < duration:
        closure = np.exp(-(((t - blink_t) / 0.06) ** 2))
        for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
            gap = actor.face[lower, 1] - actor.face[upper, 1]
            disp[:, upper, 1] += 0.9 * gap * closure
        blink_t += rng.uniform(2.0, 6.0)
    shape = actor.face[None] + disp

    # Head pose: roll (in-plane), yaw and pitch as foreshortening, slowly drifting.
    def drift(scale: float) -> np.ndarray:
        return scale * (
            rng.uniform(-1, 1) + 0.5 * np.sin(2 * np.pi * t / rng.uniform(2, 6) + rng.uniform(0, 6))
        )

    roll, yaw, pitch = np.radians(drift(4.0)), np.radians(drift(8.0)), np.radians(drift(6.0))
    x = shape[..., 0] * np.cos(yaw)[:, None] + 0.25 * np.sin(yaw)[:, None] * (
        1 - shape[..., 1] ** 2 * 0.2
    )
    y = shape[..., 1] * np.cos(pitch)[:, None]
    xr = x * np.cos(roll)[:, None] - y * np.sin(roll)[:, None]
    yr = x * np.sin(roll)[:, None] + y * np.cos(roll)[:, None]
    scale = actor.iod_px * (
        1 + 0.05 * np.sin(2 * np.pi * t / rng.uniform(3, 8)) * rng.uniform(0, 1)
    )
    centre = actor.centre + rng.normal(0, 15, 2) + np.cumsum(rng.normal(0, 0.4, (n, 2)), axis=0)
    points = np.stack([xr, yr], axis=-1) * scale[:, None, None] + centre[:, None, :]
    points += rng.normal(0, 0.006 * actor.iod_px, points.shape)  # tracker jitter
    # Rare tracking failures, in short bursts.
    if rng.random() < 0.15:
        start = int(rng.integers(0, n - 3))
        points[start : start + int(rng.integers(1, 4))] = np.nan
    return points


def clip_csv(points: np.ndarray) -> str:
    """Format one clip as RAVDESS CSV text (zeros in the columns we do not synthesise)."""
    before = ",".join(["0"] * (X0 - 3))
    after = ",".join(["0"] * (len(HEADER) - X0 - 136))
    lines = [",".join(HEADER)]
    for i, frame in enumerate(points):
        ok = bool(np.isfinite(frame).all())
        coords = frame if ok else np.zeros_like(frame)
        xs = ",".join(f"{v:.3f}" for v in coords[:, 0])
        ys = ",".join(f"{v:.3f}" for v in coords[:, 1])
        conf = "0.98" if ok else "0"
        lines.append(f"{i + 1},{i / FPS:.3f},{conf},{before},{xs},{ys},{after}")
    return "\n".join(lines) + "\n"


def generate(actors: int = 24, seed: int = 0, repetitions: int = 2, song: bool = False):
    """Yield (file name, (T, 68, 2) points) for every synthetic clip, deterministically."""
    root = np.random.default_rng(seed)
    actor_seeds = root.integers(0, 2**32, size=actors)
    channel = 2 if song else 1
    for a in range(actors):
        rng = np.random.default_rng(actor_seeds[a])
        actor = ActorFace(rng)
        for label in LABELS:
            code = RAVDESS_CODE[label]
            for intensity in (1,) if label == "neutral" else (1, 2):
                for statement in (1, 2):
                    for rep in range(1, repetitions + 1):
                        name = f"01-{channel:02d}-{code:02d}-{intensity:02d}-{statement:02d}-{rep:02d}-{a + 1:02d}.csv"
                        yield name, make_clip(actor, label, intensity == 2, rng, song)


def write_dataset(
    out_dir: str | os.PathLike, actors: int = 24, seed: int = 0, repetitions: int = 2
) -> int:
    """Write the synthetic set as RAVDESS CSVs (one per clip, atomically) plus a README; return the count."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, points in generate(actors, seed, repetitions):
        write_text(out / name, clip_csv(points))
        count += 1
    write_text(
        out / "SYNTHETIC_DATA.md",
        f"# Synthetic data\n\n{count} clips generated by `edge-emo synth --actors {actors} --seed {seed} "
        f"--repetitions {repetitions}`: FACS-prototype expressions on a measured neutral face, in the "
        "RAVDESS Facial Landmark Tracking format. Not real faces; see edge_emo/train/synth.py.\n",
    )
    return count
