"""The metadata sidecar that ships with every model: what the runtime needs to use it right.

`model.tflite` (or `model.keras`) has `model.json` beside it, holding the label order,
window length, frame rate, normalisation, input layout, quantisation, a description of
the training data, evaluation figures and the sha256 of the model file. The runtime
takes all of these from the sidecar, so nothing is hard-coded twice.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.assets import sha256_file
from edge_runtime.atomic import write_text
from edge_runtime.errors import ModelError
from edge_runtime.features.normalise import INPUT_LAYOUT, NUM_FEATURES, NormalisationSpec

SCHEMA_VERSION = 1


@dataclass
class ModelMetadata:
    """Everything about a model file that is not its weights."""

    name: str
    labels: list[str]
    window: int
    fps: float
    hop: int = 30
    num_features: int = NUM_FEATURES
    input_layout: str = INPUT_LAYOUT
    normalisation: NormalisationSpec = field(default_factory=NormalisationSpec)
    format: str = "tflite"
    quantisation: dict[str, Any] = field(default_factory=lambda: {"mode": "float32"})
    training_data: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)
    # Per-label multipliers on every window's probabilities before they are renormalised: a
    # prior-shift correction chosen on validation people (labels not named keep 1).
    class_prior: dict[str, float] = field(default_factory=dict)
    # A reject option ({"below": T, "to": label}): a second whose most probable label is not
    # `to` and has a probability below T reads `to` (its probabilities unchanged); {} = off.
    reject: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""
    created: str = ""
    schema_version: int = SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        """True when the model was trained on synthetic data (every output must say so)."""
        return bool(self.training_data.get("synthetic", False))

    def prior_weights(self) -> np.ndarray | None:
        """`class_prior` as one weight per label in label order, or None when there is none."""
        if not self.class_prior:
            return None
        return np.array([self.class_prior.get(label, 1.0) for label in self.labels])

    def reject_rule(self) -> tuple[float, str] | None:
        """`reject` as (below, to), or None when there is none."""
        if not self.reject:
            return None
        return float(self.reject["below"]), str(self.reject["to"])

    @property
    def training_data_summary(self) -> str:
        source = self.training_data.get("source", "unknown")
        return f"{source} (SYNTHETIC, not real faces)" if self.synthetic else str(source)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["normalisation"] = self.normalisation.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "metadata") -> ModelMetadata:
        try:
            version = int(data.get("schema_version", 0))
            if version != SCHEMA_VERSION:
                raise ValueError(f"schema_version {version}, this runtime reads {SCHEMA_VERSION}")
            meta = cls(
                name=str(data["name"]),
                labels=[str(x) for x in data["labels"]],
                window=int(data["window"]),
                fps=float(data["fps"]),
                hop=int(data.get("hop", 30)),
                num_features=int(data.get("num_features", NUM_FEATURES)),
                input_layout=str(data.get("input_layout", INPUT_LAYOUT)),
                normalisation=NormalisationSpec.from_dict(data.get("normalisation", {})),
                format=str(data.get("format", "tflite")),
                quantisation=dict(data.get("quantisation", {})),
                training_data=dict(data.get("training_data", {})),
                evaluation=dict(data.get("evaluation", {})),
                class_prior={str(k): float(v) for k, v in data.get("class_prior", {}).items()},
                reject=data.get("reject") or {},  # checked in validate()
                sha256=str(data.get("sha256", "")),
                created=str(data.get("created", "")),
                schema_version=version,
                extra=dict(data.get("extra", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            missing = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ModelError(f"{source}: invalid model metadata ({missing})") from None
        meta.validate(source)
        return meta

    def validate(self, source: str = "metadata") -> None:
        problems = []
        if not self.labels or len(set(self.labels)) != len(self.labels):
            problems.append("labels must be a non-empty list of distinct names")
        if self.window <= 0 or self.hop <= 0 or self.fps <= 0:
            problems.append("window, hop and fps must be positive")
        elif self.hop > self.window:
            problems.append(f"hop ({self.hop}) must not exceed the window ({self.window})")
        if self.num_features != NUM_FEATURES or self.input_layout != INPUT_LAYOUT:
            problems.append(
                f"input must be {NUM_FEATURES} features laid out {INPUT_LAYOUT}, "
                f"got {self.num_features} as {self.input_layout}"
            )
        unknown = sorted(set(self.class_prior) - set(self.labels))
        if unknown or any(not 0 < w < float("inf") for w in self.class_prior.values()):
            problems.append(
                f"class_prior must map known labels to positive numbers (unknown: {unknown})"
            )
        if self.reject and not valid_reject(self.reject, self.labels):
            problems.append(
                f'reject must be {{"below": a number in (0, 1), "to": a known label}}, got {self.reject}'
            )
        if problems:
            raise ModelError(f"{source}: invalid model metadata ({'; '.join(problems)})")


def valid_reject(reject: Any, labels: list[str]) -> bool:
    """Whether `reject` is {"below": a probability in (0, 1), "to": one of `labels`}."""
    if not isinstance(reject, dict):
        return False
    below = reject.get("below")
    return (
        set(reject) == {"below", "to"}
        and isinstance(below, (int, float))
        and not isinstance(below, bool)
        and 0 < below < 1
        and reject.get("to") in labels
    )


def sidecar_path(model_path: str | os.PathLike) -> Path:
    """`models/x.tflite` -> `models/x.json`."""
    return Path(model_path).with_suffix(".json")


def load_metadata(model_path: str | os.PathLike, *, verify_hash: bool = True) -> ModelMetadata:
    """Read and validate the sidecar of `model_path`; check the model's sha256 against it."""
    model_path = Path(model_path)
    path = sidecar_path(model_path)
    if not model_path.is_file():
        raise ModelError(f"{model_path}: model file not found")
    if not path.is_file():
        raise ModelError(f"{model_path}: metadata sidecar {path.name} not found beside it")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: expected a JSON object")
    meta = ModelMetadata.from_dict(data, str(path))
    if verify_hash:
        actual = sha256_file(model_path)
        if actual != meta.sha256:
            raise ModelError(
                f"{model_path}: sha256 {actual} does not match its metadata ({meta.sha256 or 'none'}); "
                "the model was modified or the sidecar belongs to another file"
            )
    return meta


def write_metadata(model_path: str | os.PathLike, meta: ModelMetadata) -> Path:
    """Hash `model_path` into `meta` and write the sidecar atomically; return its path."""
    meta.sha256 = sha256_file(model_path)
    meta.created = meta.created or datetime.now(timezone.utc).isoformat(timespec="seconds")
    meta.validate(str(model_path))
    path = sidecar_path(model_path)
    write_text(path, json.dumps(meta.to_dict(), indent=2) + "\n")
    return path
