"""`edge-emo convert`: Keras model -> TFLite (int8, fp16 or float32) behind three gates.

Modes: `int8` (default; int8 weights and activations, calibrated on real training windows,
never noise, with TFLITE_BUILTINS_INT8), `dynamic` (int8 weights, float activations: the
smallest and fastest on CPUs), `fp16` and `float32`. int8 converts the unrolled-LSTM graph,
the others the fused-LSTM graph (see graphs.py for why and what each costs).

Gates, checked before anything is written:
1. ops: only builtin ops, none of Flex/WHILE/resource variables (the edge interpreter
   has no Select-TF kernels, and control flow was where earlier conversions broke);
2. agreement: top-1 agreement with the Keras model on windows of held-out subjects;
3. accuracy: the clip-level accuracy drop on those subjects.
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from edge_runtime.atomic import write_bytes
from edge_runtime.errors import GateError, InputError, ModelError
from edge_runtime.features.baseline import BASELINE_METHOD
from edge_runtime.labels import LABELS
from edge_runtime.model.classifier import EmotionClassifier
from edge_runtime.model.metadata import (
    ModelMetadata,
    load_metadata,
    sidecar_path,
    valid_reject,
    write_metadata,
)
from edge_runtime.model.tflite_ops import operator_codes, unchecked_on_pi

if TYPE_CHECKING:
    from edge_emo.train.config import TrainConfig
    from edge_emo.train.data import Clip
    from edge_runtime.features.normalise import NormalisationSpec

QUANT_MODES = ("int8", "dynamic", "fp16", "float32")
MAX_GRAPH_DIFFERENCE = 1e-4  # probabilities; the clone must be the same function
REPRESENTATIVE_WINDOWS = 300


@dataclass
class GateReport:
    ops: list[str]
    forbidden: list[str]
    size_bytes: int
    windows: int = 0
    agreement: float = 0.0
    float_accuracy: float = 0.0
    tflite_accuracy: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def accuracy_drop_points(self) -> float:
        return 100.0 * (self.float_accuracy - self.tflite_accuracy)


def representative_windows(
    windows: np.ndarray, count: int = REPRESENTATIVE_WINDOWS, seed: int = 0
) -> np.ndarray:
    """`count` (100-500) real windows, sampled without replacement, for int8 calibration."""
    if len(windows) < 100:
        raise InputError(
            f"int8 calibration needs at least 100 training windows, the data gives {len(windows)}"
        )
    count = int(np.clip(count, 100, 500))
    rng = np.random.default_rng(seed)
    return windows[rng.choice(len(windows), size=min(count, len(windows)), replace=False)]


def calibration_windows(
    clips: Sequence[Clip],
    config: TrainConfig,
    spec: NormalisationSpec,
    count: int = REPRESENTATIVE_WINDOWS,
) -> np.ndarray:
    """int8 calibration windows from the training clips, as the runtime will see them.

    Training data that mixes still images with video gives half its windows from the video
    (each second equally likely): one window per clip would leave a few dozen videos at
    0.2% of 30,000 stills, and the quantisation ranges would then fit held images, not the
    moving faces the runtime reads (measured: agreement 96.81% -> 97.18% on held-out stills).
    """
    from edge_emo.train.windows import moving_crops, random_crops

    rng = np.random.default_rng(config.seed)
    stills = [c for c in clips if c.still]
    if not stills or len(stills) == len(clips):  # one kind of data: a window per clip
        crops = random_crops(clips, config.window, 1, rng, spec).x
        return representative_windows(crops, count, config.seed)
    count = int(np.clip(count, 100, 500))
    video = moving_crops(clips, count // 2, config.window, rng, spec).x
    still = random_crops(stills, config.window, 1, rng, spec).x
    still = still[rng.choice(len(still), min(count - len(video), len(still)), replace=False)]
    return representative_windows(np.concatenate([still, video]), count, config.seed)


def to_tflite(model, config, quant: str, calibration: np.ndarray | None = None) -> bytes:
    """Convert a trained Keras model; int8 needs `calibration` windows."""
    import tensorflow as tf

    from edge_emo.convert.graphs import fused_lstm_clone, max_output_difference
    from edge_emo.train.model import unrolled_clone

    if quant not in QUANT_MODES:
        raise ValueError(f"quant must be one of {QUANT_MODES}")
    if quant == "int8" and calibration is None:
        raise ValueError("int8 conversion needs calibration windows")
    clone = unrolled_clone(model, config) if quant == "int8" else fused_lstm_clone(model, config)
    probe = (
        calibration[:4]
        if calibration is not None
        else np.random.default_rng(0).standard_normal((4, config.window, model.input_shape[-1]))
    ).astype(np.float32)
    difference = max_output_difference(model, clone, probe)
    if difference > MAX_GRAPH_DIFFERENCE:
        raise ModelError(
            f"the {quant} conversion graph differs from the trained model by {difference:.2g}; "
            "was the model built by `edge-emo train`?"
        )
    converter = tf.lite.TFLiteConverter.from_keras_model(clone)
    if quant == "int8":

        def dataset():
            for window in calibration:
                yield [window[None].astype(np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = dataset
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    elif quant == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif quant == "fp16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    # TF prints its SavedModel signature to stdout and warns about int8 input statistics
    # it does not need (the classifier quantises inputs itself): keep both off the terminal.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return converter.convert()


def graph_name(config: TrainConfig, quant: str) -> str:
    """Which graph was converted, for the sidecar (a pooled model has no LSTM to unroll)."""
    if config.arch == "pool":
        return "pool"
    return "unrolled-lstm" if quant == "int8" else "fused-lstm"


def check_ops(model: bytes) -> tuple[list[str], list[str]]:
    """(all op names, forbidden op names) of a flatbuffer."""
    codes = operator_codes(model)
    return sorted({c.name for c in codes}), sorted({c.name for c in codes if c.forbidden})


def quantisation_record(classifier: EmotionClassifier, quant: str) -> dict:
    """Input/output tensor types and int8 parameters, for the sidecar."""
    detail = {"mode": quant}
    for name, tensor in (("input", classifier._input), ("output", classifier._output)):
        scale, zero = tensor["quantization"]
        detail[name] = {
            "dtype": np.dtype(tensor["dtype"]).name,
            "scale": float(scale),
            "zero_point": int(zero),
        }
    return detail


def parse_class_prior(items: list[str], labels: list[str]) -> dict[str, float]:
    """["neutral=1.5", ...] -> {"neutral": 1.5}; a malformed item or unknown label is an InputError."""
    prior: dict[str, float] = {}
    for item in items:
        label, _, value = item.partition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = float("nan")
        if label not in labels or not 0 < weight < float("inf"):
            raise InputError(
                f"--class-prior {item}: expected LABEL=WEIGHT with a positive weight and a label "
                f"of the model ({', '.join(labels)})"
            )
        prior[label] = weight
    return prior


def parse_reject(below: float | None, to: str, labels: list[str]) -> dict[str, float | str]:
    """--reject-below T (--reject-to LABEL) -> the sidecar's `reject`; {} when not asked."""
    if below is None:
        if to != "neutral":  # a label to reject to, but no threshold: say so, do not ignore it
            raise InputError(f"--reject-to {to} needs --reject-below T as well")
        return {}
    if not valid_reject({"below": below, "to": to}, labels):
        raise InputError(
            f"--reject-below {below} --reject-to {to}: expected a probability in (0, 1) and a "
            f"label of the model ({', '.join(labels)})"
        )
    return {"below": below, "to": to}


def convert_command(
    model_path: Path,
    data_dir: Path,
    *,
    quant: str = "int8",
    output: Path | None = None,
    min_agreement: float = 97.0,
    max_drop: float = 1.5,
    calm: str = "drop",
    representative: int = REPRESENTATIVE_WINDOWS,
    class_prior: list[str] | None = None,
    reject_below: float | None = None,
    reject_to: str = "neutral",
    baseline: bool = False,
    log=None,
) -> tuple[Path, GateReport]:
    """Convert, gate, and write `output` + sidecar; raises GateError (and writes nothing) on failure.

    `class_prior` ("neutral=1.5", ...) goes into the sidecar: the runtime multiplies every
    window's probabilities by it (the gates compare the model's own outputs, without it).
    `reject_below` (with `reject_to`) goes there too: each second whose top probability is
    below it, and whose top is not `reject_to`, reads `reject_to` (`timeline.reject_unsure`).
    `baseline` names the per-person running baseline (`features/baseline.py`) in the
    sidecar's normalisation; the runtime applies it, the gates do not (windows of stills
    have no person history).
    """
    import keras
    from rich.console import Console

    from edge_emo.train.config import TrainConfig
    from edge_emo.train.data import load_dataset, require_mapping
    from edge_emo.train.metrics import classification_report
    from edge_emo.train.splits import describe_subjects, split_from_record
    from edge_emo.train.windows import clip_predictions, clip_windows

    log = log or Console(highlight=False).print
    if model_path.suffix != ".keras":
        raise InputError(f"{model_path}: expected a .keras model from `edge-emo train`")
    meta = load_metadata(model_path)
    if "train_config" not in meta.extra:
        raise ModelError(
            f"{sidecar_path(model_path)}: no train_config; was this model made by `edge-emo train`?"
        )
    config = TrainConfig.from_dict(meta.extra["train_config"])
    prior = parse_class_prior(class_prior or [], meta.labels)
    reject = parse_reject(reject_below, reject_to, meta.labels)
    output = output or model_path.with_name(f"{model_path.stem}-{quant}.tflite")
    if output.suffix != ".tflite":
        raise InputError(f"{output}: the output must end in .tflite")
    try:
        model = keras.models.load_model(model_path)
    except Exception as exc:
        raise ModelError(f"{model_path}: Keras cannot load it ({exc})") from None

    require_mapping(data_dir, meta.normalisation.landmarks, model_path)
    dataset = load_dataset(data_dir, calm=calm, fps=meta.fps)
    try:
        split = split_from_record(meta.training_data.get("split", {}), dataset.subjects)
    except ValueError as exc:
        raise InputError(f"{data_dir}: {exc}") from None
    train_subjects = split.train
    held_out = split.test or split.val
    if not set(held_out) & set(dataset.subjects):
        raise InputError(
            f"{data_dir}: holds none of the model's held-out subjects ({describe_subjects(held_out)})"
        )
    spec = meta.normalisation
    calibration = None
    if quant == "int8":
        calibration = calibration_windows(
            dataset.subset(train_subjects).clips, config, spec, representative
        )
        log(
            f"calibrating on {len(calibration)} real training windows from subjects "
            f"{describe_subjects(train_subjects)}"
        )
    t0 = time.perf_counter()
    flatbuffer = to_tflite(model, config, quant, calibration)
    log(f"converted to {quant} in {time.perf_counter() - t0:.1f}s: {len(flatbuffer) / 1e6:.2f} MB")

    ops, forbidden = check_ops(flatbuffer)
    report = GateReport(ops=ops, forbidden=forbidden, size_bytes=len(flatbuffer))
    log(f"ops ({len(ops)}): {', '.join(ops)}")
    unchecked = unchecked_on_pi(flatbuffer)
    if unchecked:
        log(
            f"note: op versions not yet checked on the Raspberry Pi interpreter pin "
            f"(ai-edge-litert 2.1.6): {', '.join(unchecked)}; run benchmarks/pi_emulation.sh"
        )
    if forbidden:
        raise GateError(
            f"op gate failed: {', '.join(forbidden)} cannot run on the edge interpreter; nothing written"
        )

    test_set = dataset.subset(held_out).labelled()
    x, _, owners = clip_windows(test_set.clips, config.window, config.eval_hop, spec)
    float_probs = model.predict(x, batch_size=256, verbose=0)
    tfl_meta = ModelMetadata(name=output.stem, labels=meta.labels, window=meta.window, fps=meta.fps)
    classifier = EmotionClassifier.from_bytes(flatbuffer, tfl_meta, num_threads=1, path=output)
    tfl_probs = classifier.predict_batch(x)
    truth = np.array([c.label for c in test_set.clips])
    float_clip = classification_report(
        truth, clip_predictions(float_probs, owners, len(truth)).argmax(1), LABELS
    )
    tfl_clip = classification_report(
        truth, clip_predictions(tfl_probs, owners, len(truth)).argmax(1), LABELS
    )
    report.windows = len(x)
    report.agreement = float((float_probs.argmax(1) == tfl_probs.argmax(1)).mean() * 100)
    report.float_accuracy, report.tflite_accuracy = float_clip["accuracy"], tfl_clip["accuracy"]
    log(
        f"held-out subjects {describe_subjects(held_out)}: {len(x)} windows, top-1 agreement {report.agreement:.2f}%, "
        f"clip accuracy float {report.float_accuracy:.4f} -> {quant} {report.tflite_accuracy:.4f} "
        f"(drop {report.accuracy_drop_points:+.2f} points)"
    )
    if report.agreement < min_agreement:
        report.failures.append(f"agreement {report.agreement:.2f}% < {min_agreement}%")
    if report.accuracy_drop_points > max_drop:
        report.failures.append(
            f"accuracy drop {report.accuracy_drop_points:.2f} points > {max_drop}"
        )
    if report.failures:
        raise GateError(f"quality gate failed: {'; '.join(report.failures)}; nothing written")

    write_bytes(output, flatbuffer)
    out_meta = ModelMetadata(
        name=output.stem,
        labels=meta.labels,
        window=meta.window,
        fps=meta.fps,
        hop=meta.hop,
        normalisation=replace(meta.normalisation, baseline=BASELINE_METHOD)
        if baseline
        else meta.normalisation,
        format="tflite",
        quantisation=quantisation_record(classifier, quant)
        | ({"representative_windows": len(calibration)} if calibration is not None else {})
        | {"graph": graph_name(config, quant)},
        training_data=meta.training_data,
        class_prior=prior,
        reject=reject,
        evaluation={
            **meta.evaluation,
            "conversion": {
                "held_out_subjects": held_out,
                "windows": report.windows,
                "top1_agreement_pct": round(report.agreement, 3),
                "float_clip_accuracy": round(report.float_accuracy, 4),
                "tflite_clip_accuracy": round(report.tflite_accuracy, 4),
                "accuracy_drop_points": round(report.accuracy_drop_points, 3),
                "tflite_report": tfl_clip,
            },
        },
        extra={
            "source_model": model_path.name,
            "source_sha256": meta.sha256,
            "ops": ops,
            "size_bytes": report.size_bytes,
            "train_config": meta.extra["train_config"],
        },
    )
    try:
        write_metadata(output, out_meta)
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    tag = " (trained on SYNTHETIC data, not real faces)" if out_meta.synthetic else ""
    log(f"wrote {output} ({report.size_bytes / 1e6:.2f} MB) and {sidecar_path(output).name}{tag}")
    return output, report
