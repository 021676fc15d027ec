"""CSV: one row per second, one probability column per label (empty when there is no face).

CSV has no header block, so every row also names the model and its training data.
Several faces (schema_version 2): a row per person and second, with `track` as the
first column and the face box as four more.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

from edge_runtime.atomic import write_text
from edge_runtime.timeline import SecondEntry


class CsvSink:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._rows: list[list] = []
        self._labels: list[str] = []
        self._model = ""
        self._training = ""
        self._tracks = False

    def open(self, header: dict[str, Any]) -> None:
        self._tracks = "faces" in header
        self._labels = list(header["labels"])
        self._model = header["model"]["name"]
        self._training = header["model"]["training_data"]

    def write(self, entry: SecondEntry) -> None:
        probs = [entry.probs[k] if entry.probs else "" for k in self._labels]
        row = [entry.t, int(entry.face), entry.top or "", "" if entry.confidence is None else entry.confidence,
               entry.face_frames, entry.frames, entry.windows, *probs, self._model, self._training]  # fmt: skip
        if self._tracks:
            row = [entry.track, *row, *(entry.box or ("", "", "", ""))]
        self._rows.append(row)

    def close(self, footer: dict[str, Any]) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        columns = ["t", "face", "top", "confidence", "face_frames", "frames", "windows",
                   *(f"p_{k}" for k in self._labels), "model", "training_data"]  # fmt: skip
        if self._tracks:
            columns = ["track", *columns, "box_x0", "box_y0", "box_x1", "box_y1"]
        writer.writerow(columns)
        writer.writerows(self._rows)
        if self.path is None:
            sys.stdout.write(buffer.getvalue())
            sys.stdout.flush()
        else:
            write_text(self.path, buffer.getvalue())

    def abort(self) -> None:
        self._rows.clear()
