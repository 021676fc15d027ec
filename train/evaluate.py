"""`edge-emo evaluate`: figures for a trained model (.keras or .tflite) on labelled clips.

Writes a report folder (report.json, report.md, confusion.png, curves.png when the
model's training history is known) and records the figures in the model's sidecar.
By default only the model's own test subjects are scored, so the figures stay
subject-independent; `--subjects` picks others (e.g. a different data set).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from edge_runtime.atomic import atomic_open, write_text
from edge_runtime.errors import InputError
from edge_runtime.model.metadata import ModelMetadata, load_metadata, write_metadata

from .config import TrainConfig
from .data import load_dataset, require_mapping
from .metrics import classification_report
from .splits import expand_subjects, split_from_record
from .windows import clip_predictions, clip_windows


def _predictor(model_path: Path, meta: ModelMetadata):
    if model_path.suffix == ".keras":
        import keras

        model = keras.models.load_model(model_path)
        return lambda x: model.predict(x, batch_size=256, verbose=0)
    from edge_runtime.model.classifier import EmotionClassifier

    classifier = EmotionClassifier.from_file(model_path)
    return classifier.predict_batch


def evaluate_model(
    model_path: Path, data_dir: Path, calm: str = "drop", subjects: list[str] | None = None
) -> dict:
    """Clip-level report of `model_path` on the chosen subjects of `data_dir`."""
    meta = load_metadata(model_path)
    config = (
        TrainConfig.from_dict(meta.extra["train_config"])
        if "train_config" in meta.extra
        else TrainConfig()
    )
    require_mapping(data_dir, meta.normalisation.landmarks, model_path)
    dataset = load_dataset(data_dir, calm=calm, fps=meta.fps)
    if subjects is None:
        try:
            held_out = split_from_record(meta.training_data.get("split", {}), dataset.subjects).test
        except ValueError:
            held_out = []
        subjects = [s for s in held_out if s in dataset.subjects] or dataset.subjects
    else:
        subjects = expand_subjects(subjects, dataset.subjects)
    missing = sorted(set(subjects) - set(dataset.subjects))
    if missing:
        raise InputError(f"{data_dir}: no clips of subjects {', '.join(missing)}")
    subset = dataset.subset(subjects).labelled()
    x, _, owners = clip_windows(subset.clips, meta.window, config.eval_hop, meta.normalisation)
    if not len(x):
        raise InputError(f"{data_dir}: no usable windows for subjects {' '.join(subjects)}")
    probs = _predictor(model_path, meta)(x)
    per_clip = clip_predictions(probs, owners, len(subset.clips))
    scored = ~np.isnan(per_clip).any(axis=1)
    truth = np.array([c.label for c in subset.clips])
    report = classification_report(truth[scored], per_clip[scored].argmax(axis=1), meta.labels)
    report.update(
        model=model_path.name,
        data=str(data_dir),
        subjects=list(subjects) if len(subjects) <= 50 else f"{len(subjects)} subjects",
        windows=len(x),
        window_accuracy=float((probs.argmax(1) == truth[owners]).mean()),
        synthetic_training_data=meta.synthetic,
        synthetic_evaluation_data=(Path(data_dir) / "SYNTHETIC_DATA.md").is_file(),
    )
    return report


def plot_confusion(matrix: np.ndarray, labels: list[str], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = np.asarray(matrix, dtype=float)
    rows = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    fig, ax = plt.subplots(figsize=(6.4, 5.6), dpi=120)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            color = "white" if share[i, j] > 0.5 else "black"
            ax.text(j, i, f"{int(matrix[i, j])}", ha="center", va="center", color=color, fontsize=8)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    with atomic_open(path, "wb") as handle:
        fig.savefig(handle, format="png")
    plt.close(fig)


def training_histories(extra: dict) -> dict[str, dict]:
    """A model's training curves by network: its own, or each ensemble member's by seed."""
    if extra.get("history"):
        return {"": extra["history"]}
    return {f"seed {m['seed']}": m["history"] for m in extra.get("members", []) if m.get("history")}


def plot_curves(histories: dict[str, dict], path: Path, title: str) -> None:
    """Loss and accuracy by epoch, one set of lines per network (`training_histories`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), dpi=120)
    for name, history in histories.items():
        tag = f", {name}" if name else ""
        epochs = range(1, len(history.get("loss", [])) + 1)
        left.plot(epochs, history.get("loss", []), label=f"train loss{tag}")
        right.plot(epochs, history.get("accuracy", []), label=f"train accuracy (windows){tag}")
        right.plot(
            epochs, history.get("val_accuracy", []), label=f"validation accuracy (clips){tag}"
        )
    left.set_xlabel("epoch")
    left.legend(fontsize=7)
    right.set_xlabel("epoch")
    right.set_ylim(0, 1)
    right.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    with atomic_open(path, "wb") as handle:
        fig.savefig(handle, format="png")
    plt.close(fig)


def subjects_text(report: dict) -> str:
    """`subjects a b c`, or `3027 subjects` where the report keeps only their count."""
    subjects = report["subjects"]
    return subjects if isinstance(subjects, str) else f"subjects {' '.join(subjects)}"


def markdown_report(report: dict) -> str:
    lines = [
        f"# Evaluation of {report['model']}",
        "",
        f"Data: {report['data']}, {subjects_text(report)}; {report['n']} clips, {report['windows']} windows.",
    ]
    if report["synthetic_training_data"] or report["synthetic_evaluation_data"]:
        lines += ["", "**Synthetic data: these figures are not real-world accuracy.**"]
    lines += [
        "",
        f"Accuracy {report['accuracy']:.3f}, macro-F1 {report['macro_f1']:.3f}, window accuracy {report['window_accuracy']:.3f}.",
        "",
        "| class | precision | recall | F1 | clips |",
        "|---|---|---|---|---|",
    ]
    for label, row in report["per_class"].items():
        lines.append(
            f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['support']} |"
        )
    return "\n".join(lines) + "\n"


def evaluate_command(
    model_path: Path,
    data_dir: Path,
    output: Path | None,
    *,
    calm: str = "drop",
    subjects: str | None = None,
) -> dict:
    from rich.console import Console

    console = Console(highlight=False)
    chosen = [s.strip() for s in subjects.split(",") if s.strip()] if subjects else None
    report = evaluate_model(model_path, data_dir, calm, chosen)
    out = output or model_path.with_name(f"{model_path.stem}-report")
    out.mkdir(parents=True, exist_ok=True)
    synthetic = report["synthetic_training_data"] or report["synthetic_evaluation_data"]
    title = f"{model_path.name} on {subjects_text(report)}" + (
        " (SYNTHETIC data)" if synthetic else ""
    )
    write_text(out / "report.json", json.dumps(report, indent=2) + "\n")
    write_text(out / "report.md", markdown_report(report))
    plot_confusion(
        np.array(report["confusion_matrix"]),
        list(report["per_class"]),
        out / "confusion.png",
        title,
    )
    meta = load_metadata(model_path)
    histories = training_histories(meta.extra)
    if histories:
        plot_curves(histories, out / "curves.png", title)
    meta.evaluation["evaluate"] = {
        k: report[k] for k in ("data", "subjects", "n", "accuracy", "macro_f1", "window_accuracy")
    } | {"f1": {k: v["f1"] for k, v in report["per_class"].items()}}
    write_metadata(model_path, meta)
    console.print(markdown_report(report))
    console.print(f"report written to {out}/")
    return report
