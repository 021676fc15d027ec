"""`edge-emo sheets`: contact sheets for labelling seconds of video by eye.

A person labels a held-out second only when its expression is unambiguous in frames taken
across it (train/labels/README.md). For each chosen second `t` of a video (the timeline's
second: source time [t, t+1)), the frames nearest to t + 0.2, 0.5 and 0.8 s are cropped
to the face (found as `edge-emo run` finds it, small faces too; the whole frame, marked,
where none is found) and laid side by side, a row a second, a few rows a page:

- `<name>-<page>.png`: the pages (`name` as `edge-emo label` names the video's clip);
- `seconds.csv`: `video,second,label,note`, a row for every second on a sheet, label
  empty. The person fills in the label of the unambiguous seconds and leaves the rest
  empty (looked at, not labelled); `edge-emo score ... --seconds` scores the filled rows. Rows already in the file are kept as they are: sheets made again, or
  for more videos, never lose a label.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_runtime.atomic import write_bytes, write_text
from edge_runtime.errors import InputError
from edge_runtime.face_landmarks import (
    FaceLandmarker,
    FaceLandmarkerOptions,
    FaceObservation,
    RunningMode,
)
from edge_runtime.sources.video import VideoFrame, load_cv2, read_video

from .label import clip_name
from .teacher import crop_face, face_crop_box

SECONDS_HEADER = ("video", "second", "label", "note")


@dataclass(frozen=True)
class SheetOptions:
    """Which seconds go on the sheets and how they look."""

    every: int = 1  # every Nth second of the video (0, N, 2N, ...)
    offsets: tuple[float, ...] = (0.2, 0.5, 0.8)  # where in the second the frames are taken
    rows_per_page: int = 5
    tile: int = 240  # pixels: the height of a frame on the sheet
    margin: float = 0.35  # face crops: the face's box grown by this share on each side

    def __post_init__(self) -> None:
        if self.every < 1:
            raise InputError(f"every must be 1 or more, got {self.every}")
        if not self.offsets or not all(0 <= o < 1 for o in self.offsets):
            raise InputError(f"offsets must lie in [0, 1), got {self.offsets}")
        if self.rows_per_page < 1 or self.tile < 32:
            raise InputError("rows_per_page must be 1 or more and tile 32 px or more")


class FramePicker:
    """Streams timestamped frames and keeps, for each chosen second t (t % every == 0),
    the frame nearest to t + offset for every offset, among the frames inside [t, t+1)."""

    def __init__(self, every: int, offsets: tuple[float, ...]) -> None:
        self.every, self.offsets = every, offsets
        self._second: int | None = None
        self._best: list[tuple[float, object] | None] = []

    def push(self, timestamp_s: float, item: object) -> tuple[int, list] | None:
        """Offer one frame; returns (second, its picks in offset order) when `timestamp_s`
        starts a new second and the one before was a chosen one."""
        t = math.floor(timestamp_s + 1e-9)
        done = None
        if t != self._second:
            done, self._second = self.flush(), t
        if t >= 0 and t % self.every == 0:
            for k, offset in enumerate(self.offsets):
                distance = abs(timestamp_s - (t + offset))
                if self._best[k] is None or distance < self._best[k][0]:
                    self._best[k] = (distance, item)
        return done

    def flush(self) -> tuple[int, list] | None:
        """The last second's picks, if it was a chosen one (at the end of a video)."""
        best, self._best = self._best, [None] * len(self.offsets)
        if not best or best[0] is None:
            return None
        return self._second, [item for _, item in best]


def face_tile(
    frame: VideoFrame, find: Callable[[VideoFrame], FaceObservation | None], options: SheetOptions
) -> tuple[np.ndarray, bool]:
    """A square of the frame around the face `find` finds, `tile` pixels high; else the
    whole frame at that height, marked "no face". Returns (tile, face found)."""
    cv2 = load_cv2()
    image = frame.image
    face = find(frame)
    if face is not None:
        crop = crop_face(image, face_crop_box(face.mesh, options.margin, image.shape))
        return cv2.resize(crop, (options.tile, options.tile), interpolation=cv2.INTER_AREA), True
    h, w = image.shape[:2]
    width = max(1, round(w * options.tile / h))
    tile = cv2.resize(image, (width, options.tile), interpolation=cv2.INTER_AREA)
    _stamp(tile, "no face", (6, options.tile - 10))
    return tile, False


def _stamp(image: np.ndarray, text: str, origin: tuple[int, int]) -> None:
    """Text on a dark box, readable on any picture."""
    cv2 = load_cv2()
    font, scale, thick = cv2.FONT_HERSHEY_SIMPLEX, 0.7, 2
    (w, h), base = cv2.getTextSize(text, font, scale, thick)
    x, y = origin
    cv2.rectangle(image, (x - 4, y - h - 4), (x + w + 4, y + base + 2), (0, 0, 0), -1)
    cv2.putText(image, text, (x, y), font, scale, (0, 255, 255), thick, cv2.LINE_AA)


def sheet_row(second: int, tiles: list[np.ndarray], gap: int = 4) -> np.ndarray:
    """One second's tiles side by side with a gap, its second written on the first."""
    height = tiles[0].shape[0]
    spacer = np.zeros((height, gap, 3), np.uint8)
    parts = [part for tile in tiles for part in (tile, spacer)][:-1]
    row = np.ascontiguousarray(np.hstack(parts))
    _stamp(row, f"{second} s", (8, 26))
    return row


def stack_rows(rows: list[np.ndarray], gap: int = 6) -> np.ndarray:
    """Rows one under another, padded on the right to the widest."""
    width = max(r.shape[1] for r in rows)
    padded = [np.pad(r, ((0, gap), (0, width - r.shape[1]), (0, 0))) for r in rows]
    return np.vstack(padded)[:-gap]


@dataclass(frozen=True)
class SheetResult:
    video: str
    name: str
    seconds: list[int]
    face_tiles: int  # of len(seconds) x len(offsets)
    pages: list[str]


def write_sheets(
    video: Path,
    out_dir: Path,
    name: str,
    find: Callable[[VideoFrame], FaceObservation | None],
    options: SheetOptions,
) -> SheetResult:
    """The sheets of one video. Frames are decoded once, in order, and only the nearest
    to each offset are kept, so a long or large video needs little memory; `find` sees
    the picked frames in order."""
    cv2 = load_cv2()
    rows: list[tuple[int, np.ndarray]] = []
    faces = 0
    picker = FramePicker(options.every, options.offsets)

    def add(picked: tuple[int, list] | None) -> None:
        nonlocal faces
        if picked is None:
            return
        tiles = []
        for frame in picked[1]:
            tile, found = face_tile(frame, find, options)
            tiles.append(tile)
            faces += found
        rows.append((picked[0], sheet_row(picked[0], tiles)))

    for frame in read_video(video):
        add(picker.push(frame.timestamp_s, frame))
    add(picker.flush())
    pages = []
    for start in range(0, len(rows), options.rows_per_page):
        page = stack_rows([row for _, row in rows[start : start + options.rows_per_page]])
        path = out_dir / f"{name}-{start // options.rows_per_page + 1:02d}.png"
        ok, encoded = cv2.imencode(".png", page)
        if not ok:
            raise InputError(f"{path}: could not encode the sheet")
        write_bytes(path, encoded.tobytes())
        pages.append(path.name)
    return SheetResult(str(video), name, [t for t, _ in rows], faces, pages)


def read_seconds_rows(path: Path) -> list[dict]:
    """The rows of a seconds.csv as they are (empty list when there is no file)."""
    return _read_table(path)[1]


def _read_table(path: Path) -> tuple[list[str], list[dict]]:
    """(header, rows) of a CSV file; ([], []) when there is none."""
    if not path.is_file():
        return [], []
    try:
        reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
        rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    return list(reader.fieldnames or []), rows


def merge_template(path: Path, results: list[SheetResult]) -> int:
    """Add a blank row for every second on the sheets that `path` has no row for; every
    existing row stays as it is, columns of a person's own included. Returns the number of
    rows added."""
    header, rows = _read_table(path)
    fields = header + [k for k in SECONDS_HEADER if k not in header]
    have = {(r.get("video"), str(r.get("second"))) for r in rows}
    added = [
        {"video": r.name, "second": str(t), "label": "", "note": ""}
        for r in results
        for t in r.seconds
        if (r.name, str(t)) not in have
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows + added:
        writer.writerow({k: row.get(k) or "" for k in fields})
    write_text(path, buffer.getvalue())
    return len(added)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def sheets_command(
    videos: list[Path], out_dir: Path, options: SheetOptions | None = None, log=print
) -> list[SheetResult]:
    """Sheets for every video (folders expanded) into `out_dir`, and its seconds.csv."""
    from edge_runtime.extract import find_videos

    options = options or SheetOptions()
    files = find_videos(videos)
    out_dir.mkdir(parents=True, exist_ok=True)
    names: dict[str, dict] = {}
    results = []
    whole = FaceLandmarkerOptions(running_mode=RunningMode.IMAGE, zoom=None)
    for video in files:
        name = clip_name(video, names)
        names[name] = {"video": str(video)}
        # Each picked frame is looked at on its own (IMAGE mode: frames seconds apart are
        # not tracked well), and where that finds no face, as `edge-emo run` looks (VIDEO
        # mode, whose zoom finds faces too small for the whole frame).
        with FaceLandmarker.create(whole) as alone, FaceLandmarker.create() as running:
            find = lambda frame: alone.detect(frame) or running.detect(frame)  # noqa: E731
            result = write_sheets(video, out_dir, name, find, options)
        results.append(result)
        log(
            f"{video}: {_count(len(result.seconds), 'second')} on "
            f"{_count(len(result.pages), 'sheet')} ({name}-NN.png), a face in "
            f"{result.face_tiles} of {len(result.seconds) * len(options.offsets)} frames"
        )
    added = merge_template(out_dir / "seconds.csv", results)
    log(f"{out_dir / 'seconds.csv'}: {added} rows added; fill in the unambiguous seconds' labels")
    return results
