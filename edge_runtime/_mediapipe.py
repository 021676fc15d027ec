"""Import MediaPipe's Tasks API without letting it import TensorFlow.

mediapipe.tasks imports `tensorflow.tools.docs.doc_controls` when TensorFlow is
installed, only to tag functions for its API docs. In a training environment that
costs ~3.3 s of start-up and loads TensorFlow into the edge runtime. We install the
same no-op stand-in MediaPipe itself uses when TensorFlow is absent.

It also makes `FaceLandmarker.__del__` quiet: when a landmarker is collected after
MediaPipe's native dispatcher has shut down (an interrupted run, interpreter exit),
its __del__ raises TypeError and Python prints a traceback after our clean exit.
"""

from __future__ import annotations

import contextlib
import os
import sys
import types

_OPTIONAL = "mediapipe.tasks.python.core.optional_dependencies"


def load_vision():
    """Return (mediapipe, mediapipe.tasks.python.vision, BaseOptions)."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    if "tensorflow" not in sys.modules and _OPTIONAL not in sys.modules:
        stub = types.ModuleType(_OPTIONAL)
        stub.doc_controls = types.SimpleNamespace(do_not_generate_docs=lambda obj: obj)
        sys.modules[_OPTIONAL] = stub
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

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
