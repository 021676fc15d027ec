"""Per-window latency of the emotion model: LiteRT models at several thread counts, and
the Keras float model (`predict` and a direct call) when TensorFlow is installed.

    python -m edge_emo.benchmarks.model_latency models/emotion-realfaces-video-int8.tflite \
        --keras build/default-model/emotion-realfaces.keras --threads 1 2 4

Each measurement warms up first, then times single windows (batch 1, as in the runtime).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edge_runtime._quiet import native_stderr_silenced

WARMUP = 20


def latency_stats(samples_s: list[float]) -> dict:
    """Median, p90, p99 in ms and throughput in windows/s of per-call timings."""
    ms = np.asarray(samples_s) * 1000.0
    median = float(np.median(ms))
    return {
        "iterations": len(ms),
        "median_ms": round(median, 4),
        "p90_ms": round(float(np.percentile(ms, 90)), 4),
        "p99_ms": round(float(np.percentile(ms, 99)), 4),
        "windows_per_s": round(1000.0 / median, 1) if median > 0 else None,
    }


def time_calls(call: Callable[[], object], iterations: int, warmup: int = WARMUP) -> dict:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return latency_stats(samples)


def sample_window(window: int = 90, features: int = 136, seed: int = 0) -> np.ndarray:
    """A standardised-feature-like window (unit normal); latency does not depend on values."""
    return np.random.default_rng(seed).standard_normal((window, features)).astype(np.float32)


def time_tflite(path: Path, threads: int, iterations: int) -> dict:
    """The runtime classifier (quantise + invoke + dequantise) on one window."""
    from edge_runtime.model.classifier import EmotionClassifier

    classifier = EmotionClassifier.from_file(path, num_threads=threads)
    meta = classifier.metadata
    window = sample_window(meta.window, meta.num_features)
    result = time_calls(lambda: classifier.predict(window), iterations)
    return {
        "model": path.name,
        "engine": classifier.backend,
        "quantisation": meta.quantisation.get("mode", "float32"),
        "size_bytes": path.stat().st_size,
        "threads": threads,
        **result,
    }


def time_keras(path: Path, iterations: int) -> list[dict]:
    """Keras `predict` and a direct `model(x)` call on one window (TensorFlow's own threads)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with native_stderr_silenced():
        import keras

    model = keras.models.load_model(path)
    window = sample_window(model.input_shape[1], model.input_shape[2])[None]
    rows = []
    for engine, call in (
        ("keras predict", lambda: model.predict(window, verbose=0)),
        ("keras call", lambda: model(window, training=False)),
    ):
        rows.append(
            {
                "model": path.name,
                "engine": engine,
                "quantisation": "float32",
                "size_bytes": path.stat().st_size,
                "threads": "tf",
                **time_calls(call, iterations, warmup=5),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--keras", type=Path)
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2, 4])
    parser.add_argument("--iterations", type=int, default=300)
    args = parser.parse_args()
    rows = [time_tflite(m, t, args.iterations) for m in args.models for t in args.threads]
    if args.keras:
        rows += time_keras(args.keras, max(20, args.iterations // 10))
    for row in rows:
        print(
            f"{row['model']:<36} {row['engine']:<24} {row['threads']!s:>3} threads  "
            f"median {row['median_ms']:.3f} ms  p99 {row['p99_ms']:.3f} ms"
        )


if __name__ == "__main__":
    main()
