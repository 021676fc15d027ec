"""Live sources stay current: read on their own thread, analysed newest-first.

A camera does not wait for a slow consumer. Read in the consumer's loop, frames queue
up in the driver (or, for a file replayed in real time, fall further and further
behind the clock) and the live timeline lags more every second. Here a reader thread
takes every frame as it comes and keeps only the newest; the consumer always gets the
most recent frame, and the ones it had no time for are dropped and counted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from edge_runtime.cancel import raise_if_stopped
from edge_runtime.sources.video import VideoFrame


@dataclass(frozen=True)
class LiveCounts:
    """What happened to the frames of a live source."""

    read: int  # frames the reader took from the source
    analysed: int  # frames handed to the consumer
    dropped: int  # frames replaced by a newer one before the consumer took them


class LatestFrame:
    """Iterate over `frames` on a reader thread, yielding only the newest unseen frame.

    Source time and the monotonic clock are related through `origin`, the monotonic time
    of source time 0 (estimated from when frames arrive), so `lag_s` can say how far
    behind the source the consumer is. Errors of the source (a camera that is gone, a
    stop request) are raised in the consumer. Use as an iterator, then `close()`.
    """

    def __init__(self, frames: Iterator[VideoFrame]) -> None:
        self._frames = frames
        self._ready = threading.Condition()
        self._newest: VideoFrame | None = None
        self._finished = False
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="edge-emo-reader", daemon=True)
        self.origin: float | None = None
        self._read_count = self._analysed = self._dropped = 0

    @property
    def counts(self) -> LiveCounts:
        with self._ready:
            return LiveCounts(self._read_count, self._analysed, self._dropped)

    def lag_s(self, source_time_s: float, now: float | None = None) -> float:
        """How long ago (monotonic seconds) the source reached `source_time_s`."""
        now = time.monotonic() if now is None else now
        return 0.0 if self.origin is None else now - (self.origin + source_time_s)

    def _read(self) -> None:
        try:
            for frame in self._frames:
                arrived = time.monotonic() - frame.timestamp_s
                with self._ready:
                    # The earliest arrival relative to its stamp is the best estimate of origin.
                    self.origin = arrived if self.origin is None else min(self.origin, arrived)
                    if self._newest is not None:
                        self._dropped += 1
                    self._newest = frame
                    self._read_count += 1
                    self._ready.notify()
                if self._stop.is_set():
                    break
        except BaseException as exc:  # handed to the consumer, raised there
            self._error = exc
        finally:
            try:
                close = getattr(self._frames, "close", None)
                if close is not None:
                    close()  # on this thread: the generator's clean-up releases the capture
            except Exception as exc:
                self._error = self._error or exc
            finally:
                with self._ready:  # whatever happened, the consumer must not wait forever
                    self._finished = True
                    self._ready.notify()

    def __iter__(self) -> Iterator[VideoFrame]:
        if not self._thread.is_alive() and not self._finished:
            self._thread.start()
        while True:
            with self._ready:
                while self._newest is None and not self._finished:
                    self._ready.wait(0.1)
                    raise_if_stopped()
                frame, self._newest = self._newest, None
                if frame is None:  # finished and nothing left
                    if self._error is not None:
                        raise self._error
                    return
                self._analysed += 1
            yield frame

    def stop(self) -> None:
        """Ask the reader to stop at its next frame (any thread); iteration then ends."""
        self._stop.set()

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the reader at its next frame and wait for it to release the source."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def __enter__(self) -> LatestFrame:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
