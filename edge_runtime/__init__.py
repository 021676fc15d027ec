"""edge-emo's edge runtime: landmarks -> windows -> LiteRT classifier -> per-second emotion timeline.

Importing this package loads neither TensorFlow nor MediaPipe; stages import their
heavy dependencies when they are created. The Python API (README, "Python API") is
the objects `edge-emo run` itself uses, importable from here on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from edge_runtime.labels import LABELS, NUM_CLASSES

__version__ = "0.1.0"

_API = {
    "EmotionPipeline": "edge_runtime.pipeline",
    "PipelineOptions": "edge_runtime.pipeline",
    "ClassifierOptions": "edge_runtime.model.classifier",
    "FaceLandmarkerOptions": "edge_runtime.face_landmarks",
    "SecondEntry": "edge_runtime.timeline",
    "VideoFrame": "edge_runtime.sources.video",
    "read_video": "edge_runtime.sources.video",
    "read_camera": "edge_runtime.sources.camera",
    "LatestFrame": "edge_runtime.sources.latest",
    "FrameRateLimiter": "edge_runtime.sources.rate",
    "TrackerOptions": "edge_runtime.tracking",
}

__all__ = [
    "LABELS",
    "NUM_CLASSES",
    "ClassifierOptions",
    "EmotionPipeline",
    "FaceLandmarkerOptions",
    "FrameRateLimiter",
    "LatestFrame",
    "PipelineOptions",
    "SecondEntry",
    "TrackerOptions",
    "VideoFrame",
    "__version__",
    "read_camera",
    "read_video",
]

if TYPE_CHECKING:
    from edge_runtime.face_landmarks import FaceLandmarkerOptions
    from edge_runtime.model.classifier import ClassifierOptions
    from edge_runtime.pipeline import EmotionPipeline, PipelineOptions
    from edge_runtime.sources.camera import read_camera
    from edge_runtime.sources.latest import LatestFrame
    from edge_runtime.sources.rate import FrameRateLimiter
    from edge_runtime.sources.video import VideoFrame, read_video
    from edge_runtime.timeline import SecondEntry


def __getattr__(name: str) -> Any:
    """Import an API name's module on first use (PEP 562), keeping `import edge_runtime` light."""
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'edge_runtime' has no attribute {name!r}")
