"""Labelled landmark clips: the RAVDESS Facial Landmark Tracking layout, or any CSVs plus a labels.csv.

RAVDESS file names `MM-VV-EE-II-SS-RR-AA.csv` encode modality, vocal channel, emotion,
intensity, statement, repetition and actor. Its 8 emotions map onto our 7 labels;
`calm` (02) has no counterpart and by default is dropped: it is a distinct, low-arousal
pleasant expression in RAVDESS, and merging it into `neutral` would triple that class
(188 -> 564 clips) with faces that are not neutral. `--calm neutral` merges it anyway.

Any other data: a folder of landmark CSVs (e.g. from `edge-emo extract` or `edge-emo
label`) with a `labels.csv` of `file,label,subject[,soft]` rows, label being one of the 7
label names, or empty when `soft` names a per-frame soft-label file (a teacher's
probabilities, written by `edge-emo label`). Stills bundles (`*.stills.npz`, see
stills.py) in the same folder are loaded too: each image is a one-frame clip.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import re
import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edge_runtime.errors import InputError
from edge_runtime.features.landmarks import DEFAULT_MAPPING, LEGACY_MAPPING, check_mapping
from edge_runtime.features.resample import resample_array
from edge_runtime.labels import LABELS, label_index
from edge_runtime.landmark_csv import read_landmark_csv

RAVDESS_NAME = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})\.csv$")
RAVDESS_EMOTIONS = {
    1: "neutral",
    2: "calm",
    3: "happiness",
    4: "sadness",
    5: "anger",
    6: "fear",
    7: "disgust",
    8: "surprise",
}
CALM_POLICIES = ("drop", "neutral")
LABELS_FILE = "labels.csv"
STILLS_GLOB = "*.stills.npz"
NO_LABEL = -1


@dataclass(frozen=True)
class ClipInfo:
    """What a file name or labels.csv says about one clip."""

    path: Path
    label: int  # NO_LABEL when only soft labels are known
    subject: str
    attributes: dict[str, str] = field(default_factory=dict)
    soft: Path | None = None  # per-frame soft labels (teacher probabilities)


@dataclass
class Clip:
    """A labelled clip's landmarks at the model rate: (T, 68, 2) pixels, NaN where untracked.

    `soft` holds per-frame probabilities (T, 7) where a teacher labelled the clip (NaN
    where it saw no face). A still image is a clip of one frame (`still`).
    """

    info: ClipInfo
    points: np.ndarray
    soft: np.ndarray | None = None

    @property
    def label(self) -> int:
        """The human label, or else the arg-max of the mean soft label (for reports)."""
        if self.info.label != NO_LABEL or self.soft is None:
            return self.info.label
        mean = np.nanmean(self.soft, axis=0) if np.isfinite(self.soft).any() else None
        return NO_LABEL if mean is None else int(np.argmax(mean))

    @property
    def subject(self) -> str:
        return self.info.subject

    @property
    def still(self) -> bool:
        return len(self.points) == 1


@dataclass
class Dataset:
    clips: list[Clip]
    source: str
    description: str
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def subjects(self) -> list[str]:
        return sorted({c.subject for c in self.clips}, key=_subject_key)

    def class_counts(self) -> dict[str, int]:
        counts = Counter(c.label for c in self.clips)  # soft-only clips: their arg-max
        return {LABELS[i]: counts.get(i, 0) for i in range(len(LABELS))}

    def labelled(self) -> Dataset:
        """The clips with a label (human, or the arg-max of their soft labels): what can be scored."""
        return Dataset([c for c in self.clips if c.label >= 0], self.source, self.description)

    def subset(self, subjects: Sequence[str]) -> Dataset:
        keep = set(subjects)
        return Dataset(
            [c for c in self.clips if c.subject in keep],
            self.source,
            self.description,
            self.skipped,
        )


def data_mapping(data_dir: Path) -> str:
    """The 478->68 table a data folder's landmarks were made with, from what `stills` and
    `label` recorded (records from before the symmetric table name none: the first table).
    A folder with no records (hand-made labels.csv over `extract` CSVs) gets the default."""
    found = set()
    records = [*sorted(data_dir.glob("*.stills.json")), data_dir / "teacher.json"]
    for path in records:
        if path.is_file():
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InputError(f"{path}: unreadable ({exc})") from None
            found.add(str(record.get("landmark_mapping", LEGACY_MAPPING)))
    if len(found) > 1:
        raise InputError(
            f"{data_dir}: its parts were landmarked with different 478->68 tables "
            f"({', '.join(sorted(found))}); re-extract them with one edge-emo version"
        )
    try:
        return check_mapping(found.pop() if found else DEFAULT_MAPPING)
    except ValueError as exc:
        raise InputError(f"{data_dir}: {exc}") from None


def require_mapping(data_dir: Path, mapping: str, model: Path) -> None:
    """InputError unless `data_dir` was landmarked with `mapping`, the model's 478->68 table:
    windows made with another table are not what the model reads at run time."""
    found = data_mapping(data_dir)
    if found != mapping:
        raise InputError(
            f"{data_dir}: landmarked with the 478->68 table {found}, but {model} reads {mapping}: "
            "label or extract the data again with this edge-emo"
        )


def _subject_key(subject: str):
    return (0, int(subject)) if subject.isdigit() else (1, subject)


def parse_ravdess_name(name: str, calm: str = "drop") -> ClipInfo | None:
    """ClipInfo from a RAVDESS file name; None for calm clips when calm='drop'.

    Raises ValueError for names that are not RAVDESS names or hold unknown codes.
    """
    if calm not in CALM_POLICIES:
        raise ValueError(f"calm policy must be one of {CALM_POLICIES}")
    match = RAVDESS_NAME.match(name)
    if not match:
        raise ValueError(f"{name}: not a RAVDESS file name (MM-VV-EE-II-SS-RR-AA.csv)")
    modality, channel, emotion, intensity, statement, repetition, actor = (
        int(g) for g in match.groups()
    )
    if emotion not in RAVDESS_EMOTIONS or not 1 <= actor <= 99 or channel not in (1, 2):
        raise ValueError(f"{name}: unknown emotion, channel or actor code")
    label = RAVDESS_EMOTIONS[emotion]
    if label == "calm":
        if calm == "drop":
            return None
        label = "neutral"
    return ClipInfo(
        path=Path(name),
        label=label_index(label),
        subject=f"{actor:02d}",
        attributes={
            "modality": {1: "full-av", 2: "video-only", 3: "audio-only"}.get(
                modality, str(modality)
            ),
            "channel": "speech" if channel == 1 else "song",
            "emotion": RAVDESS_EMOTIONS[emotion],
            "intensity": "strong" if intensity == 2 else "normal",
            "statement": str(statement),
            "repetition": str(repetition),
            "sex": "male" if actor % 2 else "female",
        },
    )


def list_clips(
    data_dir: str | os.PathLike, calm: str = "drop"
) -> tuple[list[ClipInfo], str, dict[str, int]]:
    """The labelled clips in `data_dir` (recursively for RAVDESS), its kind, and skip counts."""
    root = Path(data_dir)
    if not root.exists():
        raise InputError(f"{root}: no such folder")
    if not root.is_dir():
        raise InputError(f"{root}: expected a folder of landmark CSVs")
    labels_file = root / LABELS_FILE
    if labels_file.is_file():
        return _read_labels_file(labels_file), "labelled-csv", {}
    infos, skipped = [], Counter()
    for path in sorted(root.rglob("*.csv")):
        try:
            info = parse_ravdess_name(path.name, calm)
        except ValueError:
            skipped["not a RAVDESS name"] += 1
            continue
        if info is None:
            skipped["calm (dropped)"] += 1
            continue
        infos.append(ClipInfo(path, info.label, info.subject, info.attributes))
    if not infos:
        raise InputError(
            f"{root}: no labelled clips (expected RAVDESS-named CSVs such as 01-01-03-01-01-01-01.csv, "
            f"or a {LABELS_FILE} with file,label,subject)"
        )
    return infos, "ravdess", dict(skipped)


def _read_labels_file(path: Path) -> list[ClipInfo]:
    infos = []
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    for number, row in enumerate(rows, start=2):
        try:
            file, label, subject = row["file"].strip(), row["label"].strip(), row["subject"].strip()
        except (KeyError, AttributeError):
            raise InputError(f"{path}: needs columns file,label,subject (line {number})") from None
        soft = (row.get("soft") or "").strip()
        if not label and not soft:
            raise InputError(f"{path}: line {number}: a row needs a label or a soft-label file")
        try:
            index = label_index(label) if label else NO_LABEL
        except ValueError as exc:
            raise InputError(f"{path}: line {number}: {exc}") from None
        infos.append(
            ClipInfo(path.parent / file, index, subject, soft=path.parent / soft if soft else None)
        )
    if not infos:
        raise InputError(f"{path}: no rows")
    return infos


def load_clip(info: ClipInfo, fps: float = 30.0) -> Clip:
    """Read one clip (and its soft labels) and resample it to `fps` by its timestamps."""
    track = read_landmark_csv(info.path)
    start = track.timestamps[0]
    points = resample_array(track.timestamps - start, track.points, fps)
    soft = None
    if info.soft is not None:
        from .label import read_teacher_csv

        times, probs = read_teacher_csv(info.soft)
        soft = nearest_rows(times - start, probs, len(points), fps)
    return Clip(info, points, soft)


def nearest_rows(times: np.ndarray, values: np.ndarray, n: int, fps: float) -> np.ndarray:
    """Rows of `values` (at increasing `times`, seconds) nearest to each of n frames at `fps`."""
    if len(times) == 1:
        return np.repeat(values, n, axis=0)
    grid = np.arange(n) / fps
    right = np.clip(np.searchsorted(times, grid), 1, len(times) - 1)
    left = right - 1
    return values[np.where(grid - times[left] <= times[right] - grid, left, right)]


def load_stills(path: Path) -> list[Clip]:
    """The one-frame clips of a stills bundle (stills.py)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            points, labels = data["points"], data["labels"]
            subjects, files, soft = data["subjects"], data["files"], data["soft"]
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{path}: not a stills bundle ({exc})") from None
    if points.ndim != 3 or points.shape[1:] != (68, 2) or len(labels) != len(points):
        raise InputError(f"{path}: not a stills bundle (points must be (N, 68, 2))")
    clips = []
    for i in range(len(points)):
        has_soft = bool(np.isfinite(soft[i]).all())
        info = ClipInfo(
            path / str(files[i]), int(labels[i]), str(subjects[i]), {"bundle": path.name}
        )
        clips.append(
            Clip(info, points[i : i + 1].astype(np.float64), soft[i : i + 1] if has_soft else None)
        )
    return clips


def load_dataset(
    data_dir: str | os.PathLike, calm: str = "drop", fps: float = 30.0, workers: int | None = None
) -> Dataset:
    """Load every labelled clip of `data_dir`, parsing in parallel over all cores."""
    root = Path(data_dir)
    bundles = sorted(root.glob(STILLS_GLOB)) if root.is_dir() else []
    if bundles and not (root / LABELS_FILE).is_file():
        infos, source, skipped = [], "stills", {}
    else:
        infos, source, skipped = list_clips(data_dir, calm)
    workers = workers or os.cpu_count() or 1
    # Fork is cheap and needs no __main__ guard in the caller's script, but forking a
    # process that already runs TensorFlow's thread pools is unsafe: parse serially then.
    can_fork = "fork" in multiprocessing.get_all_start_methods() and "tensorflow" not in sys.modules
    if workers == 1 or len(infos) < 64 or not can_fork:
        clips = [load_clip(info, fps) for info in infos]
    else:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            clips = list(pool.map(load_clip, infos, [fps] * len(infos), chunksize=32))
    for bundle in bundles:
        clips.extend(load_stills(bundle))
    if bundles and infos:
        source = f"{source}+stills"
    counts = Counter(LABELS[c.label] for c in clips)
    description = (
        f"{len(clips)} clips, {len({c.subject for c in clips})} subjects from {Path(data_dir).name} ({source}); "
        + ", ".join(f"{k} {counts.get(k, 0)}" for k in LABELS)
    )
    return Dataset(clips, source, description, skipped)
