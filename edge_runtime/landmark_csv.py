"""Landmark CSVs in the OpenFace 2.1 layout (RAVDESS Facial Landmark Tracking, `edge-emo extract`).

Columns are found by name, so full OpenFace files (712 columns), OpenFace files with
spaces after the commas, and the short files `extract` writes all read the same way.
A frame counts as tracked when its `success` column (if any) is 1, its `confidence`
is at least `min_confidence`, and all 136 coordinates are finite; other frames come
back as NaN so that windowing can bridge or reject them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_runtime.atomic import atomic_open
from edge_runtime.errors import InputError

X_COLUMNS = tuple(f"x_{i}" for i in range(68))
Y_COLUMNS = tuple(f"y_{i}" for i in range(68))
EXTRACT_HEADER = ("frame", "timestamp", "confidence", "success", *X_COLUMNS, *Y_COLUMNS)
MIN_CONFIDENCE = 0.5
"""OpenFace's failed frames sit near 0; 0.5 keeps every frame OpenFace itself tracked."""


@dataclass(frozen=True)
class LandmarkTrack:
    """A clip's landmarks: (T,) timestamps in seconds and (T, 68, 2) pixels (NaN = not tracked)."""

    timestamps: np.ndarray
    points: np.ndarray
    confidence: np.ndarray

    @property
    def tracked(self) -> np.ndarray:
        return np.isfinite(self.points).all(axis=(1, 2))

    def __len__(self) -> int:
        return len(self.timestamps)


def read_landmark_csv(
    path: str | os.PathLike, min_confidence: float = MIN_CONFIDENCE
) -> LandmarkTrack:
    """Read the 2-D landmarks of one clip. Raises InputError naming the file on any defect."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, expected a landmark CSV") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text CSV (not UTF-8)") from None
    return parse_landmark_csv(text, str(path), min_confidence)


def parse_landmark_csv(
    text: str, source: str = "<csv>", min_confidence: float = MIN_CONFIDENCE
) -> LandmarkTrack:
    """Parse CSV text (see read_landmark_csv)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise InputError(f"{source}: empty CSV")
    header = [name.strip().lstrip("\ufeff") for name in lines[0].split(",")]
    index = {name: i for i, name in enumerate(header)}
    missing = [c for c in ("timestamp", *X_COLUMNS, *Y_COLUMNS) if c not in index]
    if missing:
        shown = ", ".join(missing[:3]) + (" ..." if len(missing) > 3 else "")
        raise InputError(f"{source}: not a landmark CSV (missing columns {shown})")
    if len(lines) < 2:
        raise InputError(f"{source}: header only, no frames")
    wanted = [index["timestamp"], *(index[c] for c in X_COLUMNS), *(index[c] for c in Y_COLUMNS)]
    if "confidence" in index:
        wanted.append(index["confidence"])
    if "success" in index:
        wanted.append(index["success"])
    values = _read_columns(lines, wanted, len(header), source)
    timestamps = values[:, 0]
    if not np.isfinite(timestamps).all():
        raise InputError(f"{source}: missing or non-finite timestamp")
    if np.any(np.diff(timestamps) <= 0):
        raise InputError(f"{source}: timestamps are not strictly increasing")
    points = np.stack([values[:, 1:69], values[:, 69:137]], axis=-1)
    column = 137
    confidence = np.ones(len(values))
    if "confidence" in index:
        confidence = values[:, column]
        column += 1
    bad = ~np.isfinite(points).all(axis=(1, 2))
    bad |= ~(np.nan_to_num(confidence, nan=-1.0) >= min_confidence)
    if "success" in index:
        bad |= values[:, column] != 1
    points[bad] = np.nan
    return LandmarkTrack(timestamps, points, np.nan_to_num(confidence, nan=0.0))


def _read_columns(lines: list[str], wanted: list[int], width: int, source: str) -> np.ndarray:
    """The `wanted` columns of the data lines as floats (empty fields -> NaN)."""
    for number, line in enumerate(lines[1:], start=2):
        if line.count(",") != width - 1:
            raise InputError(
                f"{source}: line {number} has {line.count(',') + 1} columns, the header has {width}"
            )
    try:  # fast path: NumPy's C parser, fine unless a field is empty
        return np.loadtxt(lines[1:], delimiter=",", usecols=wanted, dtype=np.float64, ndmin=2)
    except ValueError:
        pass
    last = max(wanted) + 1
    rows = []
    for line in lines[1:]:
        fields = line.split(",", last)
        rows.append([fields[i].strip() or "nan" for i in wanted])
    try:
        return np.array(rows, dtype=np.float64)
    except ValueError as exc:
        raise InputError(
            f"{source}: non-numeric value ({str(exc).split(':')[-1].strip()})"
        ) from None


class LandmarkCsvWriter:
    """Stream rows to an extract-format CSV; the file appears only when closed successfully."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._context = atomic_open(self.path, "w", encoding="utf-8", newline="")
        self._handle = self._context.__enter__()
        self._handle.write(",".join(EXTRACT_HEADER) + "\n")
        self.rows = 0

    def write(
        self, frame: int, timestamp_s: float, points: np.ndarray | None, confidence: float
    ) -> None:
        if points is None:
            coords = "," * (135)
            self._handle.write(f"{frame},{timestamp_s:.4f},{confidence:.3f},0,{coords}\n")
        else:
            xs = ",".join(f"{v:.2f}" for v in points[:, 0])
            ys = ",".join(f"{v:.2f}" for v in points[:, 1])
            self._handle.write(f"{frame},{timestamp_s:.4f},{confidence:.3f},1,{xs},{ys}\n")
        self.rows += 1

    def close(self) -> None:
        self._context.__exit__(None, None, None)

    def abort(self, exc: BaseException) -> None:
        self._context.__exit__(type(exc), exc, exc.__traceback__)

    def __enter__(self) -> LandmarkCsvWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is None:
            self.close()
        else:
            self.abort(exc)


def write_landmark_csv(
    path: str | os.PathLike, rows: Iterable[tuple[int, float, np.ndarray | None, float]]
) -> None:
    with LandmarkCsvWriter(path) as writer:
        for row in rows:
            writer.write(*row)
