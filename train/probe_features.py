"""Which per-frame features carry expression across people: landmarks, blendshapes, or both?

A static probe, not a model we ship: every second of video becomes one feature vector (the
mean over its frames of the 136 roll-normalised landmark coordinates, of MediaPipe's 52
blendshape scores, or of both), a small MLP learns from the training data (still images
from the stills bundles plus teacher-labelled training video, each second labelled by the
teacher's mean if its top is >= 0.5, or by the clip's human label) and is scored on the
held-out videos as `train.heldout` scores timelines. MediaPipe's blendshapes come from the
same FaceLandmarker call the runtime makes, so this measures whether they are worth an
input stream before the runtime carries one. `--baseline` asks the same of a per-person
neutral baseline (issue 15): landmarks as they are against landmarks minus the person's
median second (a held-out file is one person, as a file would be at run time).

    python -m edge_emo.train.probe_features DATA --videos TRAIN_VIDEOS \\
        --heldout HELDOUT_VIDEOS HELDOUT_LABELLED --seconds seconds.csv --work DIR [--baseline]
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edge_runtime.face_landmarks import FaceLandmarker, FaceLandmarkerOptions
from edge_runtime.features.normalise import NormalisationSpec, normalise_window
from edge_runtime.labels import LABELS, NUM_CLASSES
from edge_runtime.sources.video import read_video

from .heldout import read_seconds, teacher_seconds

SPEC = NormalisationSpec(roll=True)
MIN_FRAMES = 5  # a second with fewer tracked frames is left out
FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "landmarks": lambda lm, bs: lm,
    "blendshapes": lambda lm, bs: bs,
    "both": lambda lm, bs: np.concatenate([lm, bs], axis=1),
}


def video_frames(video: Path, work: Path) -> dict[str, np.ndarray]:
    """Per frame of `video`: time, 68 points and 52 blendshapes (NaN without a face); cached."""
    cache = work / f"{video.stem}.frames.npz"
    if cache.exists():
        with np.load(cache) as data:
            return dict(data)
    times, points, scores = [], [], []
    with FaceLandmarker.create(FaceLandmarkerOptions(blendshapes=True)) as landmarker:
        for frame in read_video(video):
            face = landmarker.detect(frame)
            times.append(frame.timestamp_s)
            points.append(np.full((68, 2), np.nan) if face is None else face.ibug68)
            scores.append(np.full(52, np.nan) if face is None else face.blendshapes)
    out = {"t": np.array(times), "points": np.array(points), "bs": np.array(scores)}
    work.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **out)
    return out


def second_features(frames: dict[str, np.ndarray]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per second: (mean normalised landmarks (136,), mean blendshapes (52,))."""
    seconds = np.floor(frames["t"] + 1e-6).astype(int)
    tracked = np.isfinite(frames["points"]).all(axis=(1, 2))
    out = {}
    for s in np.unique(seconds):
        rows = (seconds == s) & tracked
        if rows.sum() >= MIN_FRAMES:
            landmarks = normalise_window(frames["points"][rows], SPEC).mean(axis=0)
            out[int(s)] = (landmarks, frames["bs"][rows].mean(axis=0))
    return out


def person_baseline(x: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """Each row minus the median row of its person (for a file: the person's median shape)."""
    out = np.empty_like(x)
    for owner in np.unique(owners):
        rows = owners == owner
        out[rows] = x[rows] - np.median(x[rows], axis=0)
    return out


def training_seconds(data: Path, videos: Path, work: Path) -> tuple[np.ndarray, ...]:
    """(landmarks, blendshapes, labels, video) of the labelled training video's seconds."""
    lm, bs, y, owners = [], [], [], []
    with open(data / "labels.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r.get("soft")]
    for row in rows:
        stem = Path(row["file"]).stem
        video = next((p for p in sorted(videos.rglob(f"{stem}.*")) if p.suffix != ".csv"), None)
        if video is None:
            continue
        teacher = teacher_seconds(data / row["soft"])
        for s, (a, b) in second_features(video_frames(video, work)).items():
            if row["label"]:
                label = LABELS.index(row["label"])
            elif s in teacher and teacher[s].max() >= 0.5:
                label = int(teacher[s].argmax())
            else:
                continue
            lm.append(a)
            bs.append(b)
            y.append(label)
            owners.append(stem)
    return np.array(lm), np.array(bs), np.array(y, int), np.array(owners)


def training_stills(data: Path) -> tuple[np.ndarray, ...]:
    """(landmarks, blendshapes, labels, person) of the stills bundles' human-labelled training images."""
    lm, bs, y, owners = [], [], [], []
    for bundle in sorted(data.glob("*.stills.npz")):
        with np.load(bundle) as d:
            keep = (d["groups"] != "PrivateTest") & (d["labels"] >= 0)
            keep &= np.isfinite(d["blendshapes"]).all(axis=1)
            points = d["points"][keep].astype(np.float64)
            lm.append(np.stack([normalise_window(p[None], SPEC)[0] for p in points]))
            bs.append(d["blendshapes"][keep])
            y.append(d["labels"][keep].astype(int))
            owners.append(d["subjects"][keep])
    return np.concatenate(lm), np.concatenate(bs), np.concatenate(y), np.concatenate(owners)


def fit_mlp(x: np.ndarray, y: np.ndarray, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """A 128-unit MLP with inverse-frequency class weights; returns its predict function."""
    import keras

    keras.utils.set_random_seed(seed)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-3
    counts = np.maximum(np.bincount(y, minlength=NUM_CLASSES), 1)
    weights = (1.0 / counts)[y]
    model = keras.Sequential([
        keras.Input((x.shape[1],)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(NUM_CLASSES, activation="softmax"),
    ])  # fmt: skip
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit((x - mean) / std, y, sample_weight=weights / weights.mean(), epochs=30,
              batch_size=256, verbose=0)  # fmt: skip
    return lambda z: model.predict((z - mean) / std, verbose=0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="training folder (labels.csv, stills bundles)")
    parser.add_argument("--videos", type=Path, required=True, help="the training videos")
    parser.add_argument("--heldout", type=Path, nargs=2, required=True,
                        metavar=("VIDEOS", "LABELLED"))  # fmt: skip
    parser.add_argument("--seconds", type=Path, required=True, help="a person's labels")
    parser.add_argument("--work", type=Path, required=True, help="cache of per-frame features")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--baseline", action="store_true",
                        help="instead: landmarks with and without each person's median subtracted "
                        "(stills: only people with several images)")  # fmt: skip
    args = parser.parse_args(argv)

    video_lm, video_other, video_y, video_owner = training_seconds(
        args.data, args.videos, args.work
    )
    still_lm, still_other, still_y, still_owner = training_stills(args.data)
    # `other` is the second per-second stream: MediaPipe's blendshapes, or with --baseline the
    # landmarks minus their person's median (which needs several images: FER2013 has one each).
    features = FEATURES
    if args.baseline:
        names, counts = np.unique(still_owner, return_counts=True)
        keep = np.isin(still_owner, names[counts >= 5])
        still_lm, still_other, still_y = (
            still_lm[keep],
            person_baseline(still_lm[keep], still_owner[keep]),
            still_y[keep],
        )
        video_other = person_baseline(video_lm, video_owner)
        features = {
            "landmarks": FEATURES["landmarks"],
            "landmarks - person median": lambda lm, other: other,
        }
    print(f"training: {len(video_y)} video seconds, {len(still_y)} still images")
    person = {(r["video"], int(r["second"])): LABELS.index(r["label"])
              for r in read_seconds(args.seconds)}  # fmt: skip
    held = []  # (landmarks, other, person label or -1, teacher label or -1, video)
    videos_dir, labelled = args.heldout
    for video in sorted(videos_dir.glob("*.mp4")):
        teacher_csv = labelled / "clips" / f"{video.stem}.teacher.csv"
        teacher = teacher_seconds(teacher_csv) if teacher_csv.exists() else {}
        for s, (a, b) in second_features(video_frames(video, args.work)).items():
            sure = s in teacher and teacher[s].max() >= 0.6
            held.append((a, b, person.get((video.stem, s), -1),
                         int(teacher[s].argmax()) if sure else -1, video.stem))  # fmt: skip
    held_lm, held_other = np.array([h[0] for h in held]), np.array([h[1] for h in held])
    if args.baseline:  # each held-out file is one person: its median second
        held_other = person_baseline(held_lm, np.array([h[4] for h in held]))
    held_person, held_teacher = np.array([h[2] for h in held]), np.array([h[3] for h in held])
    print(f"held out: {(held_person >= 0).sum()} person-labelled, "
          f"{(held_teacher >= 0).sum()} teacher-sure seconds")  # fmt: skip
    # Video seconds are few next to the stills: repeat them to a third of the stills' count.
    repeat = max(1, len(still_y) // (3 * max(len(video_y), 1)))
    print("| training data | features | person-labelled | teacher agreement |")
    print("|---|---|---|---|")
    for data_name in ("video", "stills + video"):
        for name, pick in features.items():
            x_video = pick(video_lm, video_other)
            if data_name == "video":
                x, y = x_video, video_y
            else:
                x = np.concatenate([pick(still_lm, still_other)] + [x_video] * repeat)
                y = np.concatenate([still_y] + [video_y] * repeat)
            scores = []
            for seed in range(args.seeds):
                top = fit_mlp(x, y, seed)(pick(held_lm, held_other)).argmax(axis=1)
                scores.append((
                    (top == held_person)[held_person >= 0].mean(),
                    (top == held_teacher)[held_teacher >= 0].mean(),
                ))  # fmt: skip
            p, t = np.array(scores).T
            print(f"| {data_name} | {name} | {p.mean():.3f} ({p.min():.3f}-{p.max():.3f}) | "
                  f"{t.mean():.3f} ({t.min():.3f}-{t.max():.3f}) |", flush=True)  # fmt: skip


if __name__ == "__main__":
    from .script import run_script

    run_script(main, "edge_emo.train.probe_features")
