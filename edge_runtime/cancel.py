"""Stopping at a safe point: Ctrl-C and SIGTERM end a job at its next frame.

A KeyboardInterrupt raised at an arbitrary bytecode can land inside MediaPipe's Python
wrapper between native calls; closing the graph after that crashed the process (SIGSEGV)
in the interrupt tests. So while a job runs, the signals only set a flag, and the frame
readers (`read_video`, `read_camera`) raise KeyboardInterrupt before the next frame, from
where the job unwinds through its clean-up (temp files removed, graphs closed). A second
signal interrupts at once. Pool workers get the flag from the parent as a shared event.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_event = None
_active = False  # a stop_on_signals block is open in this process's main thread


def install(event) -> None:
    """Called once in each pool worker with the parent's multiprocessing Event."""
    global _event
    _event = event


def stop_requested() -> bool:
    return _event is not None and _event.is_set()


def raise_if_stopped() -> None:
    if stop_requested():
        raise KeyboardInterrupt


@contextlib.contextmanager
def stop_on_signals(raise_at_exit: bool = True) -> Iterator[None]:
    """In this block, the first Ctrl-C/SIGTERM asks for a stop at the next frame.

    Blocks nest: an inner block (a command's job inside the command's own block) leaves
    the signals to the outer one, so a stop asked for during start-up is not forgotten.
    A stop that came after the last frame raises KeyboardInterrupt at the block's end,
    unless `raise_at_exit` is False (the caller has already acted on it).
    """
    global _event, _active
    if threading.current_thread() is not threading.main_thread() or _active:
        yield
        return
    outer, requested = _event, threading.Event()

    def handler(signum, frame):
        if requested.is_set():
            raise KeyboardInterrupt
        requested.set()

    previous = {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}
    _event, _active = requested, True
    try:
        yield
    finally:
        _event, _active = outer, False
        for signum, old in previous.items():
            signal.signal(signum, old)
    if raise_at_exit and requested.is_set():  # the signal came after the last frame: a stop
        raise KeyboardInterrupt
