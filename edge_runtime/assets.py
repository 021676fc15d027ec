"""Where the bundled models live, and hash checks for every model file we load.

Nothing is ever downloaded: the FaceLandmarker bundle and the default emotion model
ship in `models/` (installed as the `edge_emo.models` package data).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

from edge_runtime.errors import ModelError

FACE_LANDMARKER_FILE = "face_landmarker.task"
FACE_LANDMARKER_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
DEFAULT_MODEL_FILE = "emotion-realfaces-video-int8.tflite"


def models_dir() -> Path:
    """The folder holding bundled models: $EDGE_EMO_MODELS, the installed package data, or the repo's."""
    env = os.environ.get("EDGE_EMO_MODELS")
    if env:
        return Path(env)
    spec = importlib.util.find_spec("edge_emo.models")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            if Path(location).is_dir():
                return Path(location)
    return Path(__file__).resolve().parent.parent / "models"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_verified(path: str | os.PathLike, expected_sha256: str, what: str) -> bytes:
    """Read a model file and return its bytes only if they hash to `expected_sha256`.

    The bytes we hash are the bytes we hand to the interpreter, so a file swapped
    after the check cannot slip through.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{what} not found: {path} (expected sha256 {expected_sha256})")
    data = path.read_bytes()
    actual = sha256_bytes(data)
    if actual != expected_sha256:
        raise ModelError(
            f"{what} {path} has sha256 {actual}, expected {expected_sha256}: "
            "the file is corrupt or was replaced"
        )
    return data


def face_landmarker_bytes(path: str | os.PathLike | None = None) -> bytes:
    """The verified FaceLandmarker bundle (Apache-2.0, from Google's MediaPipe)."""
    path = Path(path) if path is not None else models_dir() / FACE_LANDMARKER_FILE
    return read_verified(path, FACE_LANDMARKER_SHA256, "FaceLandmarker model")


def default_model_path() -> Path:
    """The emotion model the runtime uses when none is given."""
    return models_dir() / DEFAULT_MODEL_FILE
