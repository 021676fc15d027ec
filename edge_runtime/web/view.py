"""What the live page shows, kept up to date from the pipeline thread and pushed to browsers.

`LiveView` is fed by two hooks of a live run: `WebSink` (a sink like the others: one
finished second at a time) and `on_frame` (every analysed frame: face state, fps, and at
most `jpeg_per_s` small JPEGs with the face box and 68 points drawn). Browsers subscribe
to its events from the server's asyncio loop; the pipeline thread hands events over with
`call_soon_threadsafe`, and a browser that cannot keep up loses old events, never blocks
the pipeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from edge_runtime.face_landmarks import FaceObservation
from edge_runtime.overlay import draw_faces
from edge_runtime.sources.video import VideoFrame, load_cv2
from edge_runtime.timeline import SecondEntry

QUEUE_SIZE = 64  # events per browser before the oldest are dropped


@dataclass(frozen=True)
class ViewOptions:
    history_s: int = 300  # seconds kept for the page's timeline chart
    jpeg_per_s: float = 2.0
    jpeg_width: int = 480  # frames are scaled down to at most this width


class LiveView:
    """The page's state; written by the pipeline thread, read and subscribed to by the server."""

    def __init__(self, header: dict[str, Any], options: ViewOptions | None = None) -> None:
        self.options = options or ViewOptions()
        self.header = header
        self._lock = threading.Lock()
        people = (header.get("faces") or {}).get("max", 1)  # a second per person
        self._history: deque[dict[str, Any]] = deque(maxlen=self.options.history_s * people)
        self._jpeg: bytes | None = None
        self._jpeg_seq = 0
        self._last_jpeg = 0.0
        self._frames = 0
        self._fps = 0.0
        self._last_frame_at: float | None = None
        self._face = False
        self._faces = 0
        self._finished = False
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = []

    # ------------------------------------------------------------ pipeline thread

    def on_frame(self, frame: VideoFrame, faces: list[tuple[int | None, FaceObservation]]) -> None:
        """Every analysed frame (its faces with their track ids): fps, face state, and now and
        then a new JPEG."""
        now = time.monotonic()
        with self._lock:
            self._frames += 1
            if self._last_frame_at is not None:
                interval = max(now - self._last_frame_at, 1e-3)
                self._fps = 0.9 * self._fps + 0.1 / interval if self._fps else 1.0 / interval
            self._last_frame_at = now
            self._face = bool(faces)
            self._faces = len(faces)
            due = now - self._last_jpeg >= 1.0 / self.options.jpeg_per_s
        if not due:
            return
        tracks = "faces" in self.header
        image = draw_faces(frame.image, faces, self.options.jpeg_width, tracks)
        ok, encoded = load_cv2().imencode(".jpg", image, [load_cv2().IMWRITE_JPEG_QUALITY, 75])
        if not ok:
            return
        with self._lock:
            self._jpeg, self._jpeg_seq, self._last_jpeg = encoded.tobytes(), self._jpeg_seq + 1, now
        self._publish("status", self.status())

    def on_second(self, entry: SecondEntry) -> None:
        second = entry.to_dict()
        with self._lock:
            self._history.append(second)
        self._publish("second", second)

    def on_finish(self, footer: dict[str, Any]) -> None:
        with self._lock:
            self._finished = True
        self._publish("status", self.status() | {"footer": footer})

    # ------------------------------------------------------------ server side

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "face": self._face,
                "faces": self._faces,
                "fps": round(self._fps, 1),
                "frames": self._frames,
                "jpeg_seq": self._jpeg_seq,
                "finished": self._finished,
            }

    def snapshot(self) -> dict[str, Any]:
        """Everything a page needs when it opens: model, labels, history, status."""
        header = self.header
        with self._lock:
            history = list(self._history)
        return {
            "model": header["model"],
            "notice": header.get("notice"),
            "labels": header["labels"],
            "source": header["source"],
            "window": header["window"],
            "faces": header.get("faces"),
            "history": history,
            "status": self.status(),
        }

    def jpeg(self) -> tuple[int, bytes | None]:
        with self._lock:
            return self._jpeg_seq, self._jpeg

    def subscribe(self) -> asyncio.Queue:
        """A queue of (event, data) for one browser; call from the server's event loop."""
        queue: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        with self._lock:
            self._subscribers.append((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        with self._lock:
            self._subscribers = [(lp, q) for lp, q in self._subscribers if q is not queue]

    def close_subscribers(self) -> None:
        """End every event stream (server shutdown): each queue gets a None."""
        self._publish(None, None)

    def _publish(self, event: str | None, data: Any) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, queue in subscribers:
            with contextlib.suppress(RuntimeError):  # that browser's loop has closed
                loop.call_soon_threadsafe(_offer, queue, (event, data))


def _offer(queue: asyncio.Queue, item) -> None:
    """Put without waiting; a full queue drops its oldest event (a slow browser)."""
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(item)


class WebSink:
    """The sink that feeds the page: each finished second, and the end."""

    def __init__(self, view: LiveView) -> None:
        self.view = view

    def open(self, header: dict[str, Any]) -> None:
        self.view.header = header

    def write(self, entry: SecondEntry) -> None:
        self.view.on_second(entry)

    def close(self, footer: dict[str, Any]) -> None:
        self.view.on_finish(footer)

    def abort(self) -> None:
        self.view.on_finish({})
