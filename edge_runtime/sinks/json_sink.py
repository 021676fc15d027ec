"""JSON (one document, written atomically at the end) and JSON Lines (one line per second)."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from edge_runtime.atomic import atomic_open, write_text
from edge_runtime.errors import OutputError
from edge_runtime.timeline import SecondEntry


class JsonSink:
    """The whole timeline as one JSON document: header fields, the footer, then `seconds`.

    Several faces (schema_version 2): `tracks` instead of `seconds`, one object per
    person with their summary and their own `seconds`.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._header: dict[str, Any] = {}
        self._seconds: list[dict] = []

    def open(self, header: dict[str, Any]) -> None:
        self._header = dict(header)

    def write(self, entry: SecondEntry) -> None:
        self._seconds.append(entry.to_dict())

    def close(self, footer: dict[str, Any]) -> None:
        if "tracks" in footer:
            by_track: dict[int, list[dict]] = {}
            for second in self._seconds:
                by_track.setdefault(second["track"], []).append(second)
            tracks = [{**s, "seconds": by_track.get(s["track"], [])} for s in footer["tracks"]]
            document = {**self._header, **footer, "tracks": tracks}
        else:
            document = {**self._header, **footer, "seconds": self._seconds}
        text = json.dumps(document, indent=1) + "\n"
        if self.path is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            write_text(self.path, text)

    def abort(self) -> None:
        self._seconds.clear()


class JsonlSink:
    """One JSON object per line: a `header` line, one `second` line per second, an `end` line.

    To stdout, or to a file. With `streaming=True` (cameras) lines are appended and
    flushed as they come, so the file can be tailed and survives a crash up to the last
    second; otherwise (video files) the file appears atomically when the run completes.
    """

    def __init__(self, path: Path | None, streaming: bool = False) -> None:
        self.path = path
        self.streaming = streaming
        self._handle = None
        self._context = None

    def open(self, header: dict[str, Any]) -> None:
        if self.path is None:
            self._handle = sys.stdout
        elif self.streaming:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
            except OSError as exc:
                raise OutputError(f"{self.path}: cannot write ({exc.strerror})") from None
        else:
            self._context = atomic_open(self.path, "w", encoding="utf-8")
            self._handle = self._context.__enter__()
        self._line({"type": "header", **header})

    def write(self, entry: SecondEntry) -> None:
        self._line({"type": "second", **entry.to_dict()})

    def close(self, footer: dict[str, Any]) -> None:
        self._line({"type": "end", **footer})
        self._finish(None)

    def abort(self) -> None:
        self._finish(RuntimeError("aborted"))

    def _line(self, obj: dict) -> None:
        self._handle.write(json.dumps(obj, separators=(",", ":")) + "\n")
        self._handle.flush()

    def _finish(self, exc: BaseException | None) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        if self._context is not None:
            context, self._context = self._context, None
            if exc is None:
                context.__exit__(None, None, None)
            else:
                with contextlib.suppress(RuntimeError):
                    context.__exit__(type(exc), exc, None)
        elif handle is not sys.stdout:
            handle.close()
