"""Human-labelled still images -> a stills bundle (`NAME.stills.npz`) that `edge-emo train` reads.

A still has no motion, so training holds it for a whole window and adds the jitter,
rotation and dropped frames of a real tracker (train/augment.py). Each image goes through
the same FaceLandmarker and 478->68 mapping as live video (IMAGE mode); small images
(FER2013's 48x48, CK+48) are upscaled and edge-padded first, since the face detector
needs margin around a face. Images without a detected face are counted and left out.

Layouts (how label and person are read from the path):
- `fer2013`: `<split>/<emotion>/<Training|PublicTest|PrivateTest>_<id>.jpg` (the Kaggle image
  folders); names with any other pattern (augmented copies) are skipped; person = image.
- `ckplus48`: `<emotion>/S<subject>_<sequence>_<frame>.png`; person = S<subject>.
- `jaffe`: `<poser>.<emotion code><n>.<id>.tiff`; person = poser.
- `folders`: `<emotion>/<file>`; person = the image (each image its own person).
- `csv`: a labels file (`--labels`) with columns `file,label,subject`, file relative to the root;
  for sets whose labels are not in their paths (e.g. chosen from raters' votes).
Emotion folder names are matched through LABEL_NAMES; `contempt` (not one of our 7) is skipped.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import re
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_runtime.atomic import atomic_open, write_text
from edge_runtime.errors import InputError
from edge_runtime.features.landmarks import DEFAULT_MAPPING
from edge_runtime.labels import LABELS, label_index

LAYOUTS = ("fer2013", "ckplus48", "jaffe", "folders", "csv")
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"})
LABEL_NAMES = {
    "neutral": "neutral", "ne": "neutral",
    "happy": "happiness", "happiness": "happiness", "ha": "happiness",
    "sad": "sadness", "sadness": "sadness", "sa": "sadness",
    "angry": "anger", "anger": "anger", "an": "anger",
    "fear": "fear", "fearful": "fear", "afraid": "fear", "fe": "fear",
    "disgust": "disgust", "disgusted": "disgust", "di": "disgust",
    "surprise": "surprise", "surprised": "surprise", "su": "surprise",
}  # fmt: skip
SKIPPED_LABELS = frozenset({"contempt", "calm"})
FER_NAME = re.compile(r"^(Training|PublicTest|PrivateTest)_(\d+)\.jpg$")
CK_NAME = re.compile(r"^(S\d+)_\d+_\d+\.png$")
JAFFE_NAME = re.compile(r"^([A-Z]{2})\.([A-Z]{2})\d\.\d+\.tiff?$")
MIN_SIDE = 192  # upscale smaller images to about this many pixels
PAD = 0.25  # edge padding on every side, as a fraction of the (upscaled) side


@dataclass(frozen=True)
class StillItem:
    path: Path
    label: int
    subject: str
    group: str  # the source's own split, e.g. fer2013's Training / PublicTest / PrivateTest


def list_stills(
    root: Path, layout: str, labels: Path | None = None
) -> tuple[list[StillItem], Counter]:
    """The labelled images under `root` for `layout`, and counts of what was skipped why."""
    if layout not in LAYOUTS:
        raise InputError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    if (layout == "csv") != (labels is not None):
        raise InputError("a labels file goes with layout csv, and only with it")
    if not root.is_dir():
        raise InputError(f"{root}: no such folder")
    items, skipped = _listed_stills(root, labels) if labels else _named_stills(root, layout)
    if not items:
        raise InputError(f"{root}: no labelled images for layout {layout}")
    return items, skipped


def _named_stills(root: Path, layout: str) -> tuple[list[StillItem], Counter]:
    """The images under `root` whose path gives label and person, as `layout` reads it."""
    items, skipped = [], Counter()
    for path in sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
        name = path.name
        if layout == "jaffe":
            match = JAFFE_NAME.match(name)
            emotion = match.group(2).lower() if match else None
            subject = f"jaffe-{match.group(1)}" if match else None
            group = "jaffe"
        else:
            emotion = path.parent.name.lower()
            group = layout
            if layout == "fer2013":
                match = FER_NAME.match(name)
                subject = f"fer-{match.group(1)}-{match.group(2)}" if match else None
                group = match.group(1) if match else group
            elif layout == "ckplus48":
                match = CK_NAME.match(name)
                subject = f"ck-{match.group(1)}" if match else None
            else:
                subject = f"img-{path.parent.name}-{path.stem}"
        if subject is None:
            skipped["name does not fit the layout"] += 1
        elif why := _unusable(emotion):
            skipped[why] += 1
        else:
            items.append(StillItem(path, label_index(LABEL_NAMES[emotion]), subject, group))
    return items, skipped


def _unusable(emotion: str | None) -> str | None:
    """Why an image's emotion name cannot train a 7-label model, or None when it can."""
    if emotion in SKIPPED_LABELS:
        return f"{emotion} (not one of the 7 labels)"
    return None if emotion in LABEL_NAMES else "unknown emotion"


def _listed_stills(root: Path, labels: Path) -> tuple[list[StillItem], Counter]:
    """The images a `file,label,subject` CSV names under `root`, in file order."""
    try:
        with open(labels, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InputError(f"{labels}: cannot read the labels file ({error})") from None
    if rows and not {"file", "label", "subject"} <= set(rows[0]):
        raise InputError(f"{labels}: needs the columns file, label, subject")
    items, skipped = [], Counter()
    for row in sorted(rows, key=lambda r: r["file"] or ""):
        if not (row["file"] and row["label"] and row["subject"]):
            skipped["incomplete row"] += 1
            continue
        emotion, path = row["label"].strip().lower(), root / row["file"]
        if why := _unusable(emotion):
            skipped[why] += 1
        elif not path.is_file():
            skipped["listed file missing"] += 1
        else:
            items.append(StillItem(path, label_index(LABEL_NAMES[emotion]), row["subject"], "csv"))
    return items, skipped


def prepare_image(image: np.ndarray) -> np.ndarray:
    """Upscale a small image and pad it with its edge pixels, so the face detector sees margin."""
    import cv2

    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    side = min(image.shape[:2])
    if side < MIN_SIDE:
        factor = MIN_SIDE / side
        image = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    pad = round(PAD * min(image.shape[:2]))
    return cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)


def _landmark_chunk(args: tuple[list[str], str | None]) -> list[tuple | None]:
    """Worker: (points, blendshapes, teacher probs) per image path, None without a face."""
    import cv2

    from edge_runtime.face_landmarks import FaceLandmarker, FaceLandmarkerOptions, RunningMode
    from edge_runtime.sources.video import VideoFrame

    from .teacher import ImageTeacher

    paths, teacher_path = args
    options = FaceLandmarkerOptions(
        running_mode=RunningMode.IMAGE, blendshapes=True, mapping=DEFAULT_MAPPING
    )  # the table build_stills records
    teacher = ImageTeacher.create(teacher_path) if teacher_path else None
    out: list[tuple | None] = []
    with FaceLandmarker.create(options) as landmarker:
        for path in paths:
            image = cv2.imread(path, cv2.IMREAD_COLOR)
            if image is None:
                out.append(None)
                continue
            image = prepare_image(image)
            observation = landmarker.detect(VideoFrame(0, 0.0, image))
            if observation is None:
                out.append(None)
                continue
            soft = teacher.predict(image, observation.mesh) if teacher else None
            out.append((observation.ibug68, observation.blendshapes, soft))
    return out


def build_stills(
    root: Path,
    layout: str,
    output: Path,
    *,
    teacher_path: Path | None = None,
    source: dict | None = None,
    labels: Path | None = None,
    workers: int | None = None,
    log=print,
) -> dict:
    """Landmark every labelled image under `root`; write `output` (.stills.npz) and its .json."""
    if not output.name.endswith(".stills.npz"):
        raise InputError(f"{output}: a stills bundle must be named NAME.stills.npz")
    items, skipped = list_stills(root, layout, labels)
    workers = workers or os.cpu_count() or 1
    chunks = [items[i :: workers * 8] for i in range(workers * 8)]
    context = multiprocessing.get_context("fork")
    teacher = str(teacher_path) if teacher_path else None
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        parts = list(
            pool.map(_landmark_chunk, [([str(i.path) for i in c], teacher) for c in chunks])
        )
    kept, results = [], []
    for chunk, part in zip(chunks, parts, strict=True):
        for item, result in zip(chunk, part, strict=True):
            if result is None:
                skipped["no face found"] += 1
            else:
                kept.append(item)
                results.append(result)
    order = sorted(range(len(kept)), key=lambda i: str(kept[i].path))
    kept, results = [kept[i] for i in order], [results[i] for i in order]
    nan7 = np.full(len(LABELS), np.nan, np.float32)
    arrays = {
        "points": np.stack([r[0] for r in results]).astype(np.float32),
        "blendshapes": np.stack([r[1] for r in results]).astype(np.float32),
        "soft": np.stack([nan7 if r[2] is None else r[2] for r in results]).astype(np.float32),
        "labels": np.array([i.label for i in kept], np.int8),
        "subjects": np.array([i.subject for i in kept]),
        "groups": np.array([i.group for i in kept]),
        "files": np.array([str(i.path.relative_to(root)) for i in kept]),
    }
    with atomic_open(output, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    counts = Counter(LABELS[i.label] for i in kept)
    record = {
        "layout": layout,
        "root": str(root),
        "labels": str(labels) if labels else None,
        "source": source or {},
        "images": len(kept),
        "people": len({i.subject for i in kept}),
        "class_counts": {k: counts.get(k, 0) for k in LABELS},
        "groups": dict(Counter(i.group for i in kept)),
        "skipped": dict(skipped),
        "teacher": teacher_path.name if teacher_path else None,
        "landmark_mapping": DEFAULT_MAPPING,  # the table the workers map with
        "landmarks": "MediaPipe FaceLandmarker (IMAGE mode) -> iBUG-68, after upscaling to "
        f">= {MIN_SIDE} px and {PAD:.0%} edge padding",
    }
    write_text(
        output.with_name(output.name[: -len(".npz")] + ".json"), json.dumps(record, indent=2) + "\n"
    )
    log(
        f"{output}: {len(kept)} images of {record['people']} people "
        f"({', '.join(f'{k} {v}' for k, v in record['class_counts'].items())}); "
        f"skipped: {dict(skipped) or 'none'}"
    )
    return record


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--layout", choices=LAYOUTS, required=True)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument(
        "--teacher", type=Path, default=None, help="also record teacher probabilities"
    )
    parser.add_argument("--labels", type=Path, help="layout csv: file,label,subject per image")
    parser.add_argument("--source", default="{}", help="JSON: repository, commit, licence ...")
    parser.add_argument("-j", "--jobs", type=int, default=0)
    args = parser.parse_args(argv)
    build_stills(
        args.root, args.layout, args.output, teacher_path=args.teacher,
        source=json.loads(args.source), labels=args.labels, workers=args.jobs or None,
    )  # fmt: skip


if __name__ == "__main__":
    from .script import run_script

    run_script(main, "edge_emo.train.stills")
