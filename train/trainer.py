"""`edge-emo train`: fit the seed model on labelled landmark clips, subject-independently.

Each epoch draws fresh random window-length crops (90 frames unless `--window`) from every
training clip (temporal augmentation), perturbed like a real tracker's output (augment.py),
on top of the model's Gaussian noise. Targets are probability vectors, so human labels
(one-hot) and a teacher's soft labels train alike, with cross-entropy. Classes are balanced
with inverse-frequency sample weights. Early stopping watches clip-level macro-F1 on the
validation subjects, and the final figures come from test subjects that neither training nor
early stopping saw.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from edge_runtime.errors import InputError
from edge_runtime.features.normalise import NormalisationSpec
from edge_runtime.labels import LABELS
from edge_runtime.model.metadata import ModelMetadata, write_metadata

from .align import aligned_dataset
from .config import TrainConfig
from .data import Dataset, data_mapping, load_dataset
from .metrics import classification_report
from .motion import identity_bank, motion_bank
from .splits import SubjectSplit, describe_subjects, holdout_split, kfold_subjects
from .windows import clip_predictions, clip_windows, concat_crops, random_crops, video_crops

MOTION_BANK_SIZE = 2000  # real talking windows held for --real-talk (33 MB at 30 frames)
IDENTITY_BANK_SIZE = 2000  # neutral still images' resting shapes held for --identity


@dataclass
class TrainResult:
    model: object
    history: dict[str, list[float]] = field(default_factory=dict)
    val_report: dict = field(default_factory=dict)
    test_report: dict = field(default_factory=dict)
    seconds: float = 0.0
    epochs_run: int = 0
    spec: NormalisationSpec | None = None
    members: list[dict] = field(default_factory=list)  # an ensemble's networks, one record each


def _set_determinism(seed: int) -> None:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def evaluate_clips(predict, dataset: Dataset, config: TrainConfig, spec: NormalisationSpec) -> dict:
    """Clip-level report (mean of each clip's window probabilities) plus window-level accuracy."""
    dataset = dataset.labelled()
    x, y, owners = clip_windows(dataset.clips, config.window, config.eval_hop, spec)
    if len(x) == 0:
        raise InputError(
            "no usable windows to evaluate (clips too short or too many missing frames)"
        )
    probs = predict(x)
    per_clip = clip_predictions(probs, owners, len(dataset.clips))
    scored = ~np.isnan(per_clip).any(axis=1)
    truth = np.array([c.label for c in dataset.clips])[scored]
    report = classification_report(truth, per_clip[scored].argmax(axis=1), LABELS)
    report["window_accuracy"] = float((probs.argmax(axis=1) == y).mean())
    report["windows"] = len(x)
    report["clips_without_windows"] = int((~scored).sum())
    return report


def train_model(
    dataset: Dataset,
    split: SubjectSplit,
    config: TrainConfig,
    spec: NormalisationSpec | None = None,
    log=print,
) -> TrainResult:
    """Train on split.train, stop early on split.val, report on split.test (if any)."""

    from .model import build_model, compile_model

    train_set, val_set = dataset.subset(split.train), dataset.subset(split.val)
    if not train_set.clips or not val_set.clips:
        raise InputError("the split leaves no training or no validation clips")
    spec = standardisation(train_set, config, spec or NormalisationSpec())
    if config.ensemble > 1:
        return train_ensemble(dataset, split, config, spec, log)
    _set_determinism(config.seed)
    rng = np.random.default_rng(config.seed)
    model = compile_model(build_model(config), config)
    predict = lambda x: model.predict(x, batch_size=256, verbose=0)  # noqa: E731
    history: dict[str, list[float]] = {
        "loss": [],
        "accuracy": [],
        "val_accuracy": [],
        "val_macro_f1": [],
    }
    class_weights = (
        balanced_class_weights(train_set, config.class_balance) if config.class_balance else None
    )
    # banks of real motion and shapes the augmentation lays over windows (motion.py); each
    # drawn with its own random stream, so asking for one leaves the rest of training as it was
    motion = identity = None
    if config.augment.real_talk_prob:
        motion = motion_bank(train_set.clips, config.window, MOTION_BANK_SIZE,
                             np.random.default_rng(config.seed + 2))  # fmt: skip
        _require(motion, "--real-talk", "no fully tracked video window that a label or the "
                 "teacher calls neutral to take talking motion from")  # fmt: skip
        log(f"real talking motion: {len(motion)} windows of the training video")
    if config.augment.identity_prob:
        identity = identity_bank(train_set.clips, IDENTITY_BANK_SIZE,
                                 np.random.default_rng(config.seed + 3))  # fmt: skip
        _require(identity, "--identity", "fewer than two still images labelled neutral to take "
                 "resting shapes from")  # fmt: skip
        log(f"resting shapes: {len(identity)} neutral still images")
    best, best_weights, waited = -1.0, None, 0
    recent: deque[list[np.ndarray]] = deque(maxlen=config.average_epochs or 1)
    start = time.perf_counter()
    epochs_run = 0
    for epoch in range(1, config.epochs + 1):
        clips = train_set.clips
        if 0 < config.clips_per_epoch < len(clips):
            clips = [
                clips[i] for i in rng.choice(len(clips), config.clips_per_epoch, replace=False)
            ]
        crops = random_crops(clips, config.window, config.crops_per_clip, rng, spec, config.augment,
                             config.targets, motion, identity)  # fmt: skip
        if config.video_windows:
            crops = concat_crops(crops, video_crops(train_set.clips, config, rng, spec, identity))
        if len(crops) == 0:
            raise InputError(
                "no usable training windows (clips too short or too many missing frames)"
            )
        weights = crops.weights
        if class_weights is not None:
            weights = weights * class_weights[crops.targets.argmax(axis=1)]
        fit = model.fit(
            crops.x, crops.targets, sample_weight=weights, batch_size=config.batch_size,
            epochs=1, shuffle=True, verbose=0,
        )  # fmt: skip
        val = evaluate_clips(predict, val_set, config, spec)
        history["loss"].append(float(fit.history["loss"][-1]))
        history["accuracy"].append(float(fit.history["accuracy"][-1]))
        history["val_accuracy"].append(val["accuracy"])
        history["val_macro_f1"].append(val["macro_f1"])
        epochs_run = epoch
        score = val[config.select_on]
        improved = score > best + 1e-9
        log(
            f"epoch {epoch:3d}/{config.epochs}  loss {history['loss'][-1]:.4f}  "
            f"train acc {history['accuracy'][-1]:.3f}  val acc {val['accuracy']:.3f}  "
            f"val macro-F1 {val['macro_f1']:.3f}  {time.perf_counter() - start:6.1f}s"
            + ("  *" if improved else "")
        )
        if config.average_epochs:
            recent.append(model.get_weights())
        if improved:
            best, best_weights, waited = score, model.get_weights(), 0
        else:
            waited += 1
            if waited >= config.patience:
                log(
                    f"early stop: no better validation {config.select_on} for {config.patience} epochs"
                )
                break
    if config.average_epochs:
        model.set_weights(average_weights(list(recent)))
        log(f"weights: the mean of the last {len(recent)} epochs' (epochs "
            f"{epochs_run - len(recent) + 1}-{epochs_run})")  # fmt: skip
    else:
        model.set_weights(best_weights)
    result = TrainResult(
        model, history, seconds=time.perf_counter() - start, epochs_run=epochs_run, spec=spec
    )
    result.val_report = evaluate_clips(predict, val_set, config, spec)
    if split.test:
        result.test_report = evaluate_clips(predict, dataset.subset(split.test), config, spec)
    return result


def average_weights(snapshots: list[list[np.ndarray]]) -> list[np.ndarray]:
    """The element-wise mean of several snapshots of one model's weights (weight averaging:
    a point in the middle of where training wandered, flatter than any one of them)."""
    return [
        np.mean(np.stack(arrays), axis=0).astype(arrays[0].dtype)
        for arrays in zip(*snapshots, strict=True)
    ]


def standardisation(
    train_set: Dataset, config: TrainConfig, spec: NormalisationSpec
) -> NormalisationSpec:
    """`spec` with feature means and stds of the training subjects' windows (kept if set)."""
    if spec.mean is not None:
        return spec
    sample = random_crops(
        train_set.clips, config.window, 1, np.random.default_rng(config.seed + 1), spec,
        config.augment,
    )  # fmt: skip
    return spec.with_standardisation(sample.x)


def train_ensemble(
    dataset: Dataset, split: SubjectSplit, config: TrainConfig, spec: NormalisationSpec, log=print
) -> TrainResult:
    """`config.ensemble` networks, seeds seed, seed + 1, ..., each with its own early stop,
    averaged in one model: one seed's draw moved the held-out figures more than any recipe.

    The members share one standardisation (the first seed's), as one model file needs.
    """
    from .model import build_model, ensemble_members

    start = time.perf_counter()
    members = []
    for i in range(config.ensemble):
        member_config = replace(config, ensemble=1, seed=config.seed + i)
        log(f"ensemble member {i + 1}/{config.ensemble}: seed {member_config.seed}")
        members.append(train_model(dataset, split, member_config, spec, log=log))
    model = build_model(config)
    for network, member in zip(ensemble_members(model, config), members, strict=True):
        network.set_weights(member.model.get_weights())
    result = TrainResult(
        model,
        history={},
        seconds=time.perf_counter() - start,
        epochs_run=sum(m.epochs_run for m in members),
        spec=spec,
        members=[
            {
                "seed": config.seed + i,
                "epochs_run": m.epochs_run,
                "val": _summary(m.val_report),
                "history": m.history,
            }
            for i, m in enumerate(members)
        ],
    )
    predict = lambda x: model.predict(x, batch_size=256, verbose=0)  # noqa: E731
    result.val_report = evaluate_clips(predict, dataset.subset(split.val), config, spec)
    if split.test:
        result.test_report = evaluate_clips(predict, dataset.subset(split.test), config, spec)
    return result


def balanced_class_weights(dataset: Dataset, power: float = 1.0) -> np.ndarray:
    """(1 / class frequency) ** power per class (mean 1 over the clips), from each clip's label.

    power 1 weighs every class equally in the loss; 0.5 meets a rare class half-way (full
    balance made the rarest class, disgust, the answer for many ambiguous faces).
    """
    labels = np.array([c.label for c in dataset.clips if c.label >= 0])
    counts = np.bincount(labels, minlength=len(LABELS)).astype(np.float64)
    inverse = np.where(counts > 0, len(labels) / (len(LABELS) * np.maximum(counts, 1)), 0.0)
    weights = inverse**power
    return weights / (weights[labels].mean() if len(labels) else 1.0)


def data_provenance(data_dir: Path) -> list[dict]:
    """Where a data folder's parts came from: each stills bundle's record, the label teacher."""
    import json

    parts = []
    for path in sorted(data_dir.glob("*.stills.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        parts.append(
            {
                "bundle": path.name.removesuffix(".json") + ".npz",
                **record.get("source", {}),
                "images": record.get("images"),
                "people": record.get("people"),
                "class_counts": record.get("class_counts"),
                "labels": "human: the data set's own emotion labels",
                "landmarks": record.get("landmarks"),
            }
        )
    listed = data_dir / "sources.json"  # `edge-emo label --source`: where labelled video came from
    if listed.is_file():
        with contextlib.suppress(OSError, ValueError):
            parts.extend(
                r for r in json.loads(listed.read_text(encoding="utf-8")) if isinstance(r, dict)
            )
    teacher = data_dir / "teacher.json"
    if teacher.is_file():
        with contextlib.suppress(OSError, ValueError):
            record = json.loads(teacher.read_text(encoding="utf-8"))
            parts.append(
                {
                    "labels": f"soft: per-frame probabilities of the image teacher {record.get('name')} "
                    f"(sha256 {str(record.get('sha256'))[:12]}...), `edge-emo label`",
                    "teacher_licence": record.get("licence"),
                }
            )
    return parts


def training_data_record(dataset: Dataset, data_dir: Path, split: SubjectSplit, calm: str) -> dict:
    """The `training_data` block of the metadata: what the model learned from."""
    synthetic = (data_dir / "SYNTHETIC_DATA.md").is_file()
    sources = data_provenance(data_dir)
    licences = [s["licence"] for s in sources if s.get("licence")]
    record = {
        "source": "synthetic-facs" if synthetic else dataset.source,
        "synthetic": synthetic,
        "path": str(data_dir),
        "description": (
            "SYNTHETIC FACS-prototype expressions, not real faces. " if synthetic else ""
        )
        + dataset.description,
        "calm_policy": calm,
        "class_counts": dataset.class_counts(),
        "split": split.to_dict(),
    }
    if sources:
        record["sources"] = sources
    if licences:  # a model inherits its training data's terms
        record["licence"] = "the model inherits its training data's terms: " + "; ".join(licences)
    return record


def train_command(
    data_dir: Path,
    output: Path,
    *,
    calm: str = "drop",
    epochs: int = 40,
    seed: int = 42,
    val_subjects: str | None = None,
    test_subjects: str | None = None,
    folds: int = 0,
    quiet: bool = False,
    config: TrainConfig | None = None,
    spec: NormalisationSpec | None = None,
) -> TrainResult:
    """Load, split, train, evaluate and write `output` (.keras) with its metadata sidecar."""
    from rich.console import Console

    console = Console(quiet=quiet, highlight=False)
    log = console.print
    config = replace(config or TrainConfig(), epochs=epochs, seed=seed)
    if output.suffix != ".keras":
        raise InputError(f"{output}: the output must end in .keras")
    t0 = time.perf_counter()
    dataset = load_dataset(data_dir, calm=calm, fps=config.fps)
    log(f"loaded {dataset.description} in {time.perf_counter() - t0:.1f}s")
    if dataset.skipped:
        log("skipped: " + ", ".join(f"{v} {k}" for k, v in dataset.skipped.items()))
    parse = lambda s: [x.strip() for x in s.split(",") if x.strip()] if s else None  # noqa: E731
    try:
        split = holdout_split(dataset.subjects, parse(val_subjects), parse(test_subjects))
    except ValueError as exc:
        raise InputError(f"{data_dir}: {exc}") from None
    log(
        f"subjects: train {describe_subjects(split.train)} | val {describe_subjects(split.val)} "
        f"| test {describe_subjects(split.test)}"
    )
    spec = replace(spec or NormalisationSpec(), landmarks=data_mapping(data_dir))
    alignment = None
    if config.align_stills:
        dataset, alignment = aligned_dataset(dataset, split)
        log(
            f"stills moved to the video's face shape: offset RMS {alignment['rms']} "
            f"inter-ocular distances ({alignment['video_people']} video people, "
            f"{alignment['neutral_stills']} closed-mouth neutral stills)"
        )
    fold_summary = None
    if folds:
        fold_summary = cross_validate(dataset, config, folds, log, spec)
    result = train_model(dataset, split, config, spec, log=log)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.stem}.tmp.keras")
    try:
        result.model.save(tmp)
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    evaluation = {
        "protocol": "subject-independent hold-out; clip = mean of its windows' probabilities",
        "test": _summary(result.test_report),
        "val": _summary(result.val_report),
        "test_report": result.test_report,
    }
    if fold_summary:
        evaluation["kfold"] = fold_summary
    meta = ModelMetadata(
        name=output.stem,
        labels=list(LABELS),
        window=config.window,
        fps=config.fps,
        hop=config.hop,
        format="keras",
        normalisation=result.spec,
        quantisation={"mode": "float32"},
        training_data=training_data_record(dataset, data_dir, split, calm),
        evaluation=evaluation,
        extra={
            "train_config": config.to_dict(),
            "history": result.history,
            "training_seconds": round(result.seconds, 1),
            "epochs_run": result.epochs_run,
            "cpu_count": os.cpu_count(),
        }
        | ({"members": result.members} if result.members else {})
        | ({"still_alignment": alignment} if alignment else {}),
    )
    sidecar = write_metadata(output, meta)
    tag = " (SYNTHETIC data, not real faces)" if meta.synthetic else ""
    test = result.test_report or result.val_report
    log(
        f"wrote {output} and {sidecar.name}: test accuracy {test['accuracy']:.3f}, "
        f"macro-F1 {test['macro_f1']:.3f} on subjects {describe_subjects(split.test or split.val)}{tag}; "
        f"{result.epochs_run} epochs in {result.seconds:.0f}s"
    )
    return result


def cross_validate(
    dataset: Dataset,
    config: TrainConfig,
    k: int,
    log=print,
    spec: NormalisationSpec | None = None,
) -> dict:
    """k-fold by subject: each fold is the test set once; the next fold validates."""
    groups = kfold_subjects(dataset.subjects, k)
    accuracies, f1s = [], []
    for i, test in enumerate(groups):
        val = groups[(i + 1) % k]
        split = holdout_split(dataset.subjects, val=val, test=test)
        log(f"fold {i + 1}/{k}: test {' '.join(test)}")
        result = train_model(dataset, split, config, spec, log=lambda *_: None)
        accuracies.append(result.test_report["accuracy"])
        f1s.append(result.test_report["macro_f1"])
        log(f"fold {i + 1}/{k}: accuracy {accuracies[-1]:.3f}, macro-F1 {f1s[-1]:.3f}")
    return {
        "k": k,
        "accuracy_mean": float(np.mean(accuracies)),
        "accuracy_std": float(np.std(accuracies)),
        "macro_f1_mean": float(np.mean(f1s)),
        "accuracies": accuracies,
    }


def _summary(report: dict) -> dict:
    if not report:
        return {}
    return {
        "accuracy": round(report["accuracy"], 4),
        "macro_f1": round(report["macro_f1"], 4),
        "window_accuracy": round(report["window_accuracy"], 4),
        "clips": report["n"],
        "f1": {k: v["f1"] for k, v in report["per_class"].items()},
    }


def _require(bank: np.ndarray, option: str, lacking: str) -> None:
    """An augmentation bank that `option` asked for must not be empty: one line, exit 2."""
    if not len(bank):
        raise InputError(f"{option}: the training data has {lacking}")
