"""Import MediaPipe's Tasks API fast, and without letting it import TensorFlow.

mediapipe.tasks imports `tensorflow.tools.docs.doc_controls` when TensorFlow is
installed, only to tag functions for its API docs. In a training environment that
costs ~3.3 s of start-up and loads TensorFlow into the edge runtime. We install the
same no-op stand-in MediaPipe itself uses when TensorFlow is absent.

`import mediapipe` also imports its drawing helpers (which import matplotlib.pyplot)
and its audio tasks (which import sounddevice): ~0.45 s of a ~0.55 s import, for code
the runtime never calls. Those modules are loaded lazily (importlib's LazyLoader): they
still work, and run their real import on first use.

It also makes `FaceLandmarker.__del__` quiet: when a landmarker is collected after
MediaPipe's native dispatcher has shut down (an interrupted run, interpreter exit),
its __del__ raises TypeError and Python prints a traceback after our clean exit.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types

_OPTIONAL = "mediapipe.tasks.python.core.optional_dependencies"
_LAZY = {
    "mediapipe.tasks.python.vision.drawing_styles",  # mediapipe 1.x
    "mediapipe.tasks.python.vision.drawing_utils",
    "mediapipe.python.solutions.drawing_styles",  # mediapipe 0.10 (the aarch64 pin)
    "mediapipe.python.solutions.drawing_utils",
    "mediapipe.tasks.python.audio",
}


class _LazyFinder(importlib.abc.MetaPathFinder):
    """Finds the `_LAZY` modules as usual but defers running them to first attribute use."""

    def find_spec(self, name, path=None, target=None):
        if name not in _LAZY:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def load_vision():
    """Return (mediapipe, mediapipe.tasks.python.vision, BaseOptions)."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    if "tensorflow" not in sys.modules and _OPTIONAL not in sys.modules:
        stub = types.ModuleType(_OPTIONAL)
        stub.doc_controls = types.SimpleNamespace(do_not_generate_docs=lambda obj: obj)
        sys.modules[_OPTIONAL] = stub
    finder = _LazyFinder()
    sys.meta_path.insert(0, finder)
    try:
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision
    finally:
        sys.meta_path.remove(finder)

    _quiet_destructor(vision.FaceLandmarker)
    return mp, vision, BaseOptions


def _quiet_destructor(cls) -> None:
    original = getattr(cls, "__del__", None)
    if original is None or getattr(original, "_edge_emo_quiet", False):
        return

    def __del__(self):
        with contextlib.suppress(Exception):
            original(self)

    __del__._edge_emo_quiet = True
    cls.__del__ = __del__
