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
    from rich.table import Table

    from edge_runtime.classifier import load_interpreter_backend
    from edge_runtime.metadata import load_metadata

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
        "installed ([train] extra)"
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
    table = Table(show_edge=False)
    for column in ("model", "format", "quant", "size", "trained on", "test accuracy", "status"):
        table.add_column(column)
    default = default_model_path()
    for path in sorted([*folder.glob("*.tflite"), *folder.glob("*.keras")]):
        name = path.name + (" (default)" if path == default else "")
        try:
            meta = load_metadata(path)
            test = meta.evaluation.get("test", {}).get("accuracy")
            table.add_row(
                name, meta.format, str(meta.quantisation.get("mode")), f"{path.stat().st_size / 1e6:.2f} MB",
                meta.training_data_summary, "-" if test is None else f"{test:.3f}", "ok",
            )  # fmt: skip
        except EdgeEmoError as exc:
            table.add_row(
                name, "?", "?", f"{path.stat().st_size / 1e6:.2f} MB", "?", "-", f"[red]{exc}[/red]"
            )
    console.print(table)
    if not Path(default).is_file():
        console.print(f"[yellow]default model {default.name} not found[/yellow]")
