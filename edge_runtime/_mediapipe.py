"""Import MediaPipe's Tasks API without letting it import TensorFlow.

mediapipe.tasks imports `tensorflow.tools.docs.doc_controls` when TensorFlow is
installed, only to tag functions for its API docs. In a training environment that
costs ~3.3 s of start-up and loads TensorFlow into the edge runtime. We install the
same no-op stand-in MediaPipe itself uses when TensorFlow is absent.
"""

from __future__ import annotations

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

    return mp, vision, BaseOptions
