"""The emotion classifier: a LiteRT interpreter around a (window, 136) -> probabilities model.

Backends, first found wins: `ai_edge_litert` (the maintained LiteRT runtime), then the
legacy `tflite_runtime`, then `tensorflow.lite` (only if TensorFlow happens to be
installed; the runtime never needs it). int8 models are quantised/dequantised here,
so callers always pass float windows and get float probabilities.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_runtime._quiet import native_stderr_silenced
from edge_runtime.assets import default_model_path, read_verified
from edge_runtime.errors import DependencyError, ModelError
from edge_runtime.model.metadata import ModelMetadata, load_metadata
from edge_runtime.model.tflite_ops import forbidden_ops


def load_interpreter_backend() -> tuple[type, str]:
    """(Interpreter class, description) of the first available TFLite backend."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter, f"ai-edge-litert {_version('ai-edge-litert')}"
    except ImportError:
        pass
    try:
        from tflite_runtime.interpreter import Interpreter

        return Interpreter, f"tflite-runtime {_version('tflite-runtime')}"
    except ImportError:
        pass
    try:
        import tensorflow as tf

        return tf.lite.Interpreter, f"tensorflow.lite {tf.__version__}"
    except ImportError:
        raise DependencyError("no TFLite interpreter found: pip install ai-edge-litert") from None


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


@dataclass(frozen=True)
class ClassifierOptions:
    """Which model to load and how many CPU threads the interpreter may use."""

    model_path: str | os.PathLike | None = None
    num_threads: int = 1


class EmotionClassifier:
    """Runs one (window, 136) normalised landmark window through the TFLite model."""

    def __init__(self, interpreter, metadata: ModelMetadata, path: Path, backend: str) -> None:
        self._interpreter = interpreter
        self.metadata = metadata
        self.path = path
        self.backend = backend
        self._input = interpreter.get_input_details()[0]
        self._output = interpreter.get_output_details()[0]
        self._prior = metadata.prior_weights()
        self._check_shapes()

    @classmethod
    def create(cls, options: ClassifierOptions | None = None) -> EmotionClassifier:
        options = options or ClassifierOptions()
        path = Path(options.model_path) if options.model_path else default_model_path()
        metadata = load_metadata(path, verify_hash=False)
        if metadata.format != "tflite":
            raise ModelError(
                f"{path}: a {metadata.format} model; the runtime runs .tflite models (edge-emo convert)"
            )
        model = read_verified(path, metadata.sha256, "emotion model")
        return cls.from_bytes(model, metadata, options.num_threads, path)

    @classmethod
    def from_bytes(
        cls,
        model: bytes,
        metadata: ModelMetadata,
        num_threads: int = 1,
        path: Path | str = "<memory>",
    ) -> EmotionClassifier:
        """A classifier over an in-memory flatbuffer (used by `convert` before anything is written)."""
        path = Path(path)
        bad = forbidden_ops(model)
        if bad:
            raise ModelError(
                f"{path}: contains ops the edge interpreter cannot run: {', '.join(bad)}"
            )
        interpreter_cls, backend = load_interpreter_backend()
        try:
            with native_stderr_silenced():
                interpreter = interpreter_cls(model_content=model, num_threads=num_threads)
                interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{path}: the interpreter cannot load it ({exc})") from None
        return cls(interpreter, metadata, path, backend)

    @classmethod
    def from_file(cls, path: str | os.PathLike, num_threads: int = 1) -> EmotionClassifier:
        return cls.create(ClassifierOptions(model_path=path, num_threads=num_threads))

    @property
    def labels(self) -> list[str]:
        return self.metadata.labels

    @property
    def input_dtype(self) -> np.dtype:
        return np.dtype(self._input["dtype"])

    def _check_shapes(self) -> None:
        meta = self.metadata
        in_shape = tuple(int(x) for x in self._input["shape"])
        out_shape = tuple(int(x) for x in self._output["shape"])
        if in_shape[1:] != (meta.window, meta.num_features):
            raise ModelError(
                f"{self.path}: model input {in_shape} disagrees with metadata "
                f"(window {meta.window}, {meta.num_features} features)"
            )
        if out_shape[-1] != len(meta.labels):
            raise ModelError(
                f"{self.path}: model outputs {out_shape[-1]} classes, metadata lists "
                f"{len(meta.labels)} labels"
            )

    def predict(self, window: np.ndarray) -> np.ndarray:
        """Probabilities (summing to 1) for one (window, 136) float window."""
        window = np.asarray(window, dtype=np.float32)
        expected = (self.metadata.window, self.metadata.num_features)
        if window.shape != expected:
            raise ValueError(f"expected a window of shape {expected}, got {window.shape}")
        # A fused LSTM op (float32, fp16, dynamic models) keeps its state in variable tensors
        # that would carry the last window's final state into this one: start from zeros.
        self._interpreter.reset_all_variables()
        self._interpreter.set_tensor(self._input["index"], _quantise(window[None], self._input))
        self._interpreter.invoke()
        raw = self._interpreter.get_tensor(self._output["index"])[0]
        probs = _dequantise(raw, self._output).astype(np.float64)
        probs = np.clip(probs, 0.0, None)
        if self._prior is not None:
            probs = probs * self._prior
        total = probs.sum()
        # int8 outputs are steps of 1/256 (and a class prior rescales them): renormalise so
        # every result sums to exactly 1.
        return probs / total if total > 0 else np.full(len(probs), 1.0 / len(probs))

    def predict_batch(self, windows: np.ndarray) -> np.ndarray:
        """(N, window, 136) -> (N, classes); the interpreter runs with batch 1."""
        return (
            np.stack([self.predict(w) for w in windows])
            if len(windows)
            else np.zeros((0, len(self.labels)))
        )


def _quantise(x: np.ndarray, detail: dict) -> np.ndarray:
    dtype = np.dtype(detail["dtype"])
    if dtype == np.float32:
        return x.astype(np.float32)
    scale, zero = detail["quantization"]
    info = np.iinfo(dtype)
    return np.clip(np.round(x / scale + zero), info.min, info.max).astype(dtype)


def _dequantise(x: np.ndarray, detail: dict) -> np.ndarray:
    if np.dtype(detail["dtype"]) == np.float32:
        return x.astype(np.float32)
    scale, zero = detail["quantization"]
    return (x.astype(np.float32) - zero) * scale
