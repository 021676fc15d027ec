"""Silence the C++ libraries' start-up chatter (glog, absl, TFLite INFO lines) on stderr.

MediaPipe and LiteRT print several lines at start-up and on their first inference
straight to file descriptor 2, where Python's logging cannot reach them. We point fd 2
at /dev/null just around those calls, unless EDGE_EMO_NATIVE_LOGS=1 or logging is at
DEBUG/INFO (`edge-emo -v`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    if os.environ.get("EDGE_EMO_NATIVE_LOGS") == "1" or logging.getLogger().level <= logging.INFO:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some embedded hosts)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
