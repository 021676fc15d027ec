"""Cooperative stop for batch workers.

Pool workers ignore Ctrl-C and SIGTERM; the parent sets a shared event instead, and each
worker stops at its next frame (`read_video` checks), so it unwinds through its own
clean-up (temp files removed, MediaPipe graphs closed) rather than dying mid-write.
"""

from __future__ import annotations

_event = None


def install(event) -> None:
    """Called once in each worker with the parent's multiprocessing Event."""
    global _event
    _event = event


def stop_requested() -> bool:
    return _event is not None and _event.is_set()


def raise_if_stopped() -> None:
    if stop_requested():
        raise KeyboardInterrupt
