"""`edge-emo label`: real face video -> training data that `edge-emo train` reads.

For each video it writes, into the output folder:
- `clips/<name>.csv`: the landmark CSV of `edge-emo extract` (the very landmarks inference sees),
- `clips/<name>.teacher.csv`: per frame the teacher's 7 probabilities (LABELS order) and
  its confidence (the top probability), empty where no face was tracked,
and adds a row `file,label,subject,soft,video` to `labels.csv` (label empty: the soft labels
are the target; `video`: the absolute path of the file it came from). A clip is named by its
video's stem; when another video of the folder already holds that name (two cameras'
`GOPR0001.mp4`), by `<parent folder>-<stem>`, so nothing labelled is overwritten by a
different video.
With `--people FILE.csv` (columns `video,subject,label`) only the videos it lists are
labelled, each with its person and, where a person gave one, a human label
that wins over the teacher. `teacher.json` records the teacher's name, config and sha256, so a
data set labelled by another teacher can never be mixed in silently.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_runtime.atomic import atomic_open, write_text
from edge_runtime.errors import InputError
from edge_runtime.face_landmarks import FaceLandmarker, FaceLandmarkerOptions
from edge_runtime.features.landmarks import LEGACY_MAPPING
from edge_runtime.labels import LABELS
from edge_runtime.landmark_csv import LandmarkCsvWriter
from edge_runtime.sources.video import read_video

from .teacher import ImageTeacher

LABELS_HEADER = ("file", "label", "subject", "soft", "video")
TEACHER_HEADER = ("frame", "timestamp", "face", "confidence", *LABELS)
TEACHER_RECORD = "teacher.json"


@dataclass(frozen=True)
class LabelResult:
    video: str
    clip: str
    frames: int
    face_frames: int
    confident_frames: int  # teacher top probability >= 0.6
    counts: dict[str, int]  # frames per teacher top label
    face_seconds: float = 0.0  # face frames x the video's mean frame interval


def label_video(
    video: Path,
    out_dir: Path,
    teacher: ImageTeacher,
    name: str | None = None,
    options: FaceLandmarkerOptions | None = None,
) -> LabelResult:
    """Landmarks and teacher probabilities of every frame of `video` (both files atomic)."""
    name = name or video.stem
    clips = out_dir / "clips"
    landmark_path, soft_path = clips / f"{name}.csv", clips / f"{name}.teacher.csv"
    frames = faces = confident = 0
    last_time = 0.0
    counts = dict.fromkeys(LABELS, 0)
    with (
        FaceLandmarker.create(options) as landmarker,
        LandmarkCsvWriter(landmark_path) as writer,
        atomic_open(soft_path, "w", encoding="utf-8", newline="") as soft,
    ):
        soft.write(",".join(TEACHER_HEADER) + "\n")
        for frame in read_video(video):
            observation = landmarker.detect(frame)
            points = None if observation is None else observation.ibug68
            writer.write(frame.index + 1, frame.timestamp_s, points, float(points is not None))
            frames += 1
            last_time = frame.timestamp_s
            if observation is None:
                empty = "," * (len(LABELS) + 1)  # confidence and the 7 probabilities
                soft.write(f"{frame.index + 1},{frame.timestamp_s:.4f},0{empty}\n")
                continue
            probs = teacher.predict(frame.image, observation.mesh)
            top = float(probs.max())
            faces += 1
            confident += top >= 0.6
            counts[LABELS[int(probs.argmax())]] += 1
            values = ",".join(f"{p:.4f}" for p in probs)
            soft.write(f"{frame.index + 1},{frame.timestamp_s:.4f},1,{top:.4f},{values}\n")
    interval = last_time / (frames - 1) if frames > 1 else 0.0
    return LabelResult(str(video), name, frames, faces, confident, counts, faces * interval)


def read_teacher_csv(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(timestamps (T,), probabilities (T, 7) in LABELS order, NaN where no face)."""
    path = Path(path)
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    except FileNotFoundError:
        raise InputError(f"{path}: soft-label file not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read soft labels ({exc})") from None
    if not rows or any(label not in rows[0] for label in ("timestamp", *LABELS)):
        raise InputError(f"{path}: not a soft-label file (needs timestamp and {', '.join(LABELS)})")
    try:
        times = np.array([float(r["timestamp"]) for r in rows])
        probs = np.array(
            [
                [float(r[label]) if r[label] not in ("", None) else np.nan for label in LABELS]
                for r in rows
            ]
        )
    except ValueError as exc:
        raise InputError(f"{path}: non-numeric soft label ({exc})") from None
    if np.any(np.diff(times) <= 0):
        raise InputError(f"{path}: timestamps are not strictly increasing")
    return times, probs


@dataclass(frozen=True)
class Person:
    """A `--people` row: who is in a video, and the emotion a person says it shows."""

    subject: str
    label: str  # "" = the teacher's soft labels are the target


def read_people(path: Path) -> dict[str, Person]:
    """`video,subject,label` rows keyed by the video's path (relative, with /)."""
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    people = {}
    for number, row in enumerate(rows, start=2):
        video, subject = (row.get("video") or "").strip(), (row.get("subject") or "").strip()
        label = (row.get("label") or "").strip()
        if not video or not subject:
            raise InputError(
                f"{path}:{number}: needs `video` and `subject` (columns video,subject,label)"
            )
        if label and label not in LABELS:
            raise InputError(f"{path}:{number}: label {label!r} is not one of {', '.join(LABELS)}")
        people[video.replace(os.sep, "/")] = Person(subject, label)
    return people


def clip_name(video: Path, rows: dict[str, dict]) -> str:
    """A name for `video`'s clip that no other video in `rows` (a folder's labels.csv) holds:
    its stem, else `<parent>-<stem>`, else that with `-2`, `-3`... Relabelling a video (or a
    row from before labels.csv recorded videos) keeps its name."""
    own = os.path.realpath(video)
    base = f"{video.parent.name}-{video.stem}" if video.parent.name else video.stem
    candidates = [video.stem, base]
    for name in candidates + [f"{base}-{n}" for n in range(2, len(rows) + 3)]:
        holder = rows.get(name, {}).get("video")
        if not holder or os.path.realpath(holder) == own:
            return name
    raise AssertionError("unreachable: more names than rows")


def _listed(video: Path, people: dict[str, Person]) -> Person | None:
    """The `--people` row whose path the video's path ends with."""
    text = video.as_posix()
    for key, person in people.items():
        if text == key or text.endswith("/" + key):
            return person
    return None


def label_command(
    videos: list[Path],
    out_dir: Path,
    *,
    teacher_path: Path | None = None,
    subject: str | None = None,
    people: Path | None = None,
    source: dict | None = None,
    log=print,
) -> list[LabelResult]:
    """Label every video (or those `people` lists) into `out_dir`, appending to its
    labels.csv (same teacher only)."""
    from edge_runtime.extract import find_videos

    if people is not None and subject is not None:
        raise InputError("give --subject or --people, not both")
    listed = read_people(people) if people is not None else None
    teacher = ImageTeacher.create(teacher_path)
    files = find_videos(videos)
    if listed is not None:
        chosen = {video: _listed(video, listed) for video in files}
        files = [video for video, person in chosen.items() if person is not None]
        log(f"{people}: {len(files)} of {len(chosen)} videos listed")
    record_path = out_dir / TEACHER_RECORD
    # The whole frame only, as every recorded training set was made (no small-face zoom).
    options = FaceLandmarkerOptions(zoom=None)
    record = {**teacher.describe(), "landmark_mapping": options.mapping}
    if record_path.is_file():
        try:
            previous = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{record_path}: unreadable ({exc})") from None
        if previous.get("sha256") != record["sha256"]:
            raise InputError(
                f"{out_dir}: labelled by teacher {previous.get('name')} ({str(previous.get('sha256'))[:12]}), "
                f"not {record['name']}: use another output folder"
            )
        mapping = previous.get("landmark_mapping", LEGACY_MAPPING)
        if mapping != options.mapping:
            raise InputError(
                f"{out_dir}: labelled with the 478->68 table {mapping}, not {options.mapping}: "
                "use another output folder"
            )
    if source is not None:
        record_source(out_dir, source)
    rows = _read_rows(out_dir / "labels.csv")
    subjects = {}
    results = []
    for video in files:
        person = chosen[video] if listed is not None else Person(subject or "", "")
        name = clip_name(video, rows)
        result = label_video(video, out_dir, teacher, name=name, options=options)
        rows[name] = {
            "file": f"clips/{name}.csv",
            "label": person.label,
            "subject": person.subject or name,
            "soft": f"clips/{name}.teacher.csv",
            "video": video.absolute().as_posix(),  # names stay apart whatever the cwd
        }
        subjects[name] = (rows[name]["subject"], bool(person.label))
        _write_rows(out_dir / "labels.csv", rows)  # after every video: nothing done is lost
        write_text(record_path, json.dumps(record, indent=2) + "\n")
        results.append(result)
        top = max(result.counts, key=result.counts.get) if result.face_frames else "-"
        log(
            f"{video}: {result.frames} frames, {result.face_frames} with a face, "
            f"{result.confident_frames} with teacher confidence >= 0.6; most frames: {top}"
        )
    if source is not None and results:  # the counts a model card needs, measured here
        record_source(out_dir, {**source_counts(results, subjects), **source})
    return results


def _videos(n: int) -> str:
    return f"{n} video" if n == 1 else f"{n} videos"


def source_counts(results: list[LabelResult], subjects: dict[str, tuple[str, bool]]) -> dict:
    """People, videos, minutes with a face and how the labels were made, for sources.json.

    `subjects` maps each clip to (its person, whether a person gave its label)."""
    human = sum(subjects[r.clip][1] for r in results)
    kinds = []
    if human:
        kinds.append(f"human: the --people label of the clip ({_videos(human)})")
    if human < len(results):
        kinds.append(f"soft: the image teacher per frame ({_videos(len(results) - human)})")
    return {
        "people": len({subjects[r.clip][0] for r in results}),
        "videos": len(results),
        "minutes": round(sum(r.face_seconds for r in results) / 60, 2),
        "labels": "; ".join(kinds),
    }


def record_source(out_dir: Path, source: dict) -> None:
    """Add where these videos came from (repository, commit, path, licence, people...) to
    the folder's sources.json, which `train` copies into the model's metadata."""
    path = out_dir / "sources.json"
    try:
        records = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable ({exc})") from None
    key = (source.get("repository"), source.get("path"))
    records = [r for r in records if (r.get("repository"), r.get("path")) != key] + [source]
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(records, indent=1) + "\n")


def _read_rows(path: Path) -> dict[str, dict]:
    if not path.is_file():
        return {}
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    return {Path(r.get("file", "")).stem: r for r in rows}


def _write_rows(path: Path, rows: dict[str, dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=LABELS_HEADER, extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for key in sorted(rows):
        writer.writerow({k: rows[key].get(k, "") for k in LABELS_HEADER})
    write_text(path, buffer.getvalue())
