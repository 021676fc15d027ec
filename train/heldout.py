"""Score `edge-emo run` timelines of held-out real video, per second, as a user sees them.

Two references, both per second of video:
- the teacher: the mean of its per-frame probabilities over the second (from `edge-emo
  label`'s `clips/<video>.teacher.csv`); only seconds where that mean's top probability
  is at least `min_teacher` count, and the figure is top-1 agreement;
- a person: `seconds.csv` rows `video,second,label,note`, written by viewing the frames
  and labelling only seconds whose expression is unambiguous.
Seconds where the timeline has no face count as wrong for the person's labels (the user
got no answer) and are left out of teacher agreement (the teacher saw no face either).
Each figure carries a 95% interval from resampling whole videos (`metrics.grouped_bootstrap_interval`):
with a few dozen seconds from a dozen videos, that spread is part of the figure.

    edge-emo score TIMELINES_DIR LABELLED_DIR --seconds seconds.csv -o REPORT_DIR
    python -m edge_emo.train.heldout ...   # the same, as the rebuild scripts call it
    ... --videos 'latentsync-*,dfrf-*'   # only those videos (shell-style patterns), e.g. one batch
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import numpy as np

from edge_runtime.atomic import write_text
from edge_runtime.errors import InputError
from edge_runtime.labels import LABELS

from .evaluate import plot_confusion
from .label import read_teacher_csv
from .metrics import classification_report, grouped_bootstrap_interval
from .sheets import read_seconds_rows

NO_FACE = len(LABELS)  # the column for "no answer" in the person's confusion matrix


def teacher_seconds(path: Path) -> dict[int, np.ndarray]:
    """Per second: the mean teacher probabilities over its frames with a face."""
    times, probs = read_teacher_csv(path)
    out: dict[int, np.ndarray] = {}
    seconds = np.floor(times + 1e-6).astype(int)
    for t in np.unique(seconds):
        rows = probs[(seconds == t) & np.isfinite(probs).all(axis=1)]
        if len(rows):
            out[int(t)] = rows.mean(axis=0)
    return out


def timeline_tops(path: Path) -> dict[int, str | None]:
    """Per second of a timeline JSON: its top label, or None without a face."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{path}: no timeline (run `edge-emo run` on the held-out videos)"
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a timeline ({exc})") from None
    return {int(s["t"]): (s["top"] if s.get("face") else None) for s in data["seconds"]}


def read_seconds(path: Path) -> list[dict]:
    """The labelled rows of a seconds.csv; a row with an empty label (a second looked at
    and left unlabelled, as `edge-emo sheets` writes them) is skipped."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    rows = read_seconds_rows(path)
    for number, row in enumerate(rows, start=2):
        row["label"] = (row.get("label") or "").strip()
        if (row["label"] and row["label"] not in LABELS) or not str(
            row.get("second", "")
        ).isdigit():
            raise InputError(f"{path}: line {number}: needs video,second,label with a known label")
    return [row for row in rows if row["label"]]


def score(
    timelines: Path,
    labelled: Path,
    seconds_csv: Path | None,
    min_teacher: float = 0.6,
    only: list[str] | None = None,
) -> dict:
    """Teacher agreement and the person's-label report over every held-out video, or over
    the videos whose names match one of the shell-style patterns `only`."""
    found = sorted(
        p.name[: -len(".teacher.csv")] for p in (labelled / "clips").glob("*.teacher.csv")
    )
    if not found:
        raise InputError(f"{labelled}: no clips/*.teacher.csv (run `edge-emo label` first)")
    videos = found
    if only:
        for pattern in only:
            if not fnmatch.filter(found, pattern):
                raise InputError(f"--videos {pattern}: matches no video in {labelled}")
        videos = [v for v in found if any(fnmatch.fnmatch(v, p) for p in only)]
    tops = {v: timeline_tops(timelines / f"{v}.emotions.json") for v in videos}
    agree_true, agree_pred, agree_video, per_video = [], [], [], {}
    for video in videos:
        hits = total = 0
        for t, mean in teacher_seconds(labelled / "clips" / f"{video}.teacher.csv").items():
            predicted = tops[video].get(t)
            if mean.max() < min_teacher or predicted is None:
                continue
            agree_true.append(int(mean.argmax()))
            agree_pred.append(LABELS.index(predicted))
            agree_video.append(video)
            hits += agree_true[-1] == agree_pred[-1]
            total += 1
        per_video[video] = {"teacher_seconds": total, "agreeing": hits}
    report: dict = {
        "min_teacher_confidence": min_teacher,
        "videos": len(videos),
        "teacher": classification_report(np.array(agree_true), np.array(agree_pred), LABELS)
        if agree_true
        else {},
        "per_video": per_video,
    }
    if agree_true:
        report["teacher"]["interval_95_by_video"] = grouped_bootstrap_interval(
            np.equal(agree_true, agree_pred), agree_video
        )
    rows: list[dict] = []
    if seconds_csv is not None:
        rows = read_seconds(seconds_csv)
        for row in rows:
            if row["video"] not in found:
                raise InputError(f"{seconds_csv}: video {row['video']} is not in {labelled}")
        rows = [row for row in rows if row["video"] in tops]  # the chosen videos' rows
    if rows:
        truth, predicted = [], []
        for row in rows:
            top = tops[row["video"]].get(int(row["second"]))
            truth.append(LABELS.index(row["label"]))
            predicted.append(NO_FACE if top is None else LABELS.index(top))
        names = [*LABELS, "no face"]
        person = classification_report(np.array(truth), np.array(predicted), names)
        person["per_class"].pop("no face")
        person["interval_95_by_video"] = grouped_bootstrap_interval(
            np.equal(truth, predicted), [row["video"] for row in rows]
        )
        report["person"] = person
    return report


def write_report(report: dict, out_dir: Path, model_name: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text(out_dir / "heldout-video.json", json.dumps(report, indent=2) + "\n")
    if report.get("person"):
        plot_confusion(
            np.array(report["person"]["confusion_matrix"]),
            [*LABELS, "no face"],
            out_dir / "heldout-video-confusion.png",
            f"{model_name}: held-out real video, seconds labelled by a person (n={report['person']['n']})",
        )


def _interval(part: dict) -> str:
    """' (95% interval 0.60-0.78, videos resampled)', or '' for reports written before it."""
    if "interval_95_by_video" not in part:
        return ""
    low, high = part["interval_95_by_video"]
    return f" (95% interval {low:.2f}-{high:.2f}, videos resampled)"


def summary_lines(report: dict) -> list[str]:
    lines = []
    teacher = report.get("teacher") or {}
    if teacher:
        lines.append(
            f"teacher agreement (seconds with teacher top >= {report['min_teacher_confidence']}): "
            f"{teacher['accuracy']:.3f} on {teacher['n']} seconds{_interval(teacher)}"
        )
    person = report.get("person")
    if person:
        f1 = ", ".join(
            f"{k} {v['f1']:.2f} (n={v['support']})"
            for k, v in person["per_class"].items()
            if v["support"]
        )
        lines.append(
            f"person-labelled seconds: accuracy {person['accuracy']:.3f} on {person['n']}"
            f"{_interval(person)}; F1 {f1}"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "timelines", type=Path, help="folder of <video>.emotions.json (edge-emo run)"
    )
    parser.add_argument("labelled", type=Path, help="folder written by edge-emo label")
    parser.add_argument(
        "--seconds", type=Path, default=None, help="a person's labels (seconds.csv)"
    )
    parser.add_argument("--min-teacher", type=float, default=0.6)
    parser.add_argument(
        "--videos",
        default=None,
        help="score only these videos: comma-separated shell-style patterns, e.g. 'eamm-*'",
    )
    parser.add_argument("-o", "--output", type=Path, default=None)
    parser.add_argument("--model-name", default="model")
    args = parser.parse_args(argv)
    only = [p for p in args.videos.split(",") if p] if args.videos else None
    report = score(args.timelines, args.labelled, args.seconds, args.min_teacher, only)
    if args.output:
        write_report(report, args.output, args.model_name)
    print("\n".join(summary_lines(report)))


if __name__ == "__main__":
    from .script import run_script

    run_script(main, "edge_emo.train.heldout")
