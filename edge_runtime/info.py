"""`edge-emo info`: versions, the interpreter backend, and the models found with their metadata."""

from __future__ import annotations

import importlib.util
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from edge_runtime import __version__
from edge_runtime.assets import (
    FACE_LANDMARKER_FILE,
    FACE_LANDMARKER_SHA256,
    default_model_path,
    models_dir,
    sha256_file,
)
from edge_runtime.errors import EdgeEmoError


def _dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def print_info() -> None:
    from rich.console import Console
    from rich.markup import escape

    from edge_runtime.model.classifier import load_interpreter_backend
    from edge_runtime.model.metadata import load_metadata

    console = Console(highlight=False)
    console.print(
        f"edge-emo {__version__} on Python {platform.python_version()} ({platform.machine()}, {sys.platform})"
    )
    for dist in (
        "numpy",
        "mediapipe",
        "ai-edge-litert",
        "tflite-runtime",
        "opencv-contrib-python",
        "typer",
    ):
        console.print(f"  {dist:<22} {_dist_version(dist)}")
    # find_spec does not import: TensorFlow stays out of the runtime process.
    tf = (
        "installed (" + escape("[train]") + " extra)"
        if importlib.util.find_spec("tensorflow")
        else "not installed (runtime only)"
    )
    console.print(f"  {'tensorflow':<22} {tf}")
    try:
        _, backend = load_interpreter_backend()
    except EdgeEmoError as exc:
        backend = f"none ({exc})"
    console.print(f"interpreter backend: {backend}")
    folder = models_dir()
    console.print(f"models folder: {folder}")
    landmarker = folder / FACE_LANDMARKER_FILE
    ok = landmarker.is_file() and sha256_file(landmarker) == FACE_LANDMARKER_SHA256
    console.print(
        f"  {FACE_LANDMARKER_FILE}: {'ok (sha256 verified)' if ok else 'MISSING or wrong sha256'}"
    )
    default = default_model_path()
    console.print("emotion models:")
    for path in sorted([*folder.glob("*.tflite"), *folder.glob("*.keras")]):
        name = path.name + (" (default)" if path == default else "")
        size = f"{path.stat().st_size / 1e6:.2f} MB"
        try:
            meta = load_metadata(path)
        except EdgeEmoError as exc:
            console.print(f"  {name}: {size}, [red]unusable: {escape(str(exc))}[/red]")
            continue
        figure = _accuracy_figure(meta)
        members = meta.extra.get("train_config", {}).get("ensemble", 1)
        traits = f", {members} networks averaged" if members > 1 else ""
        traits += "".join(f", {k} x{v:g}" for k, v in meta.class_prior.items())
        if rule := meta.reject_rule():  # the reject option: an unsure second reads its label
            traits += f", {rule[1]} when top < {rule[0]:g}"
        traits += f", landmarks {meta.normalisation.landmarks}"  # its 478->68 table
        console.print(
            f"  {name}: {meta.format} {meta.quantisation.get('mode')}{traits}, {size}, labels {len(meta.labels)}, "
            f"window {meta.window} @ {meta.fps:g} fps, trained on {escape(meta.training_data_summary)}{figure}; sha256 ok"
        )
    if not Path(default).is_file():
        console.print(f"[yellow]default model {default.name} not found[/yellow]")


def _accuracy_figure(meta) -> str:
    """The model's own held-out accuracy: the converted model's if it was converted."""
    conversion = meta.evaluation.get("conversion")
    test = meta.evaluation.get("test", {})
    if conversion:
        report = conversion["tflite_report"]
        return f", test accuracy {report['accuracy']:.3f}, macro-F1 {report['macro_f1']:.3f} (float model {conversion['float_clip_accuracy']:.3f})"
    if test:
        return f", test accuracy {test['accuracy']:.3f}, macro-F1 {test['macro_f1']:.3f}"
    return ""
