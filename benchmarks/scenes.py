"""Scenes with several real faces, composed with OpenCV from one real clip, and the
identity switches `edge-emo run --max-faces` makes on them.

    python -m edge_emo.benchmarks.scenes tests/data/face_clip.mp4 [--json out.json]

Each person is a 260x260 tile cut around the face of the clip: person A from its start
(crying, then calm), person B from 10 s on (laughing), mirrored so the two differ. The
scenes (24 fps, on a dark 960x640 canvas, the people's positions known in every frame):

- `together`: A left and B right for the whole scene;
- `leave_return`: B is gone for 1 s (within the tracker's 2 s memory) and comes back;
- `swap`: A and B change places, passing one above the other;
- `enter`: B walks in 3 s after the start.

Scoring is by what a user sees, per second: each track's mean box in a second is given to
the person whose tile centre is nearest; a person's identity switches each time the track
that holds them changes. Expected: one track per person and no switches.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_runtime.sources.video import load_cv2, read_video

FPS = 24.0
CANVAS = (640, 960)  # height, width
TILE = 260
CROP = (100, 300)  # top-left (y, x) of the tile in the 640x360 clip: the face is inside
B_START_S = 10.0  # person B is the clip from here on (laughing)

# A scene: its length in seconds and, per frame time, where each person's tile is
# (top-left y, x), or None when they are out of view.
Layout = Callable[[float], dict[str, tuple[int, int] | None]]


@dataclass(frozen=True)
class Scene:
    name: str
    seconds: float
    layout: Layout
    people: int = 2


def _together(t: float):
    return {"A": (190, 60), "B": (190, 640)}


def _leave_return(t: float):
    return {"A": (190, 60), "B": None if 3.0 <= t < 4.0 else (190, 640)}


def _swap(t: float):
    u = min(max((t - 2.0) / 3.0, 0.0), 1.0)  # they move between 2 s and 5 s
    x = round(60 + 580 * u)
    lift = round(190 * math.sin(math.pi * u))
    return {"A": (190 - lift, x), "B": (190 + lift, 700 - x)}


def _enter(t: float):
    if t < 3.0:
        return {"A": (190, 60), "B": None}
    u = min((t - 3.0) / 1.0, 1.0)  # B walks in from the right edge in 1 s
    return {"A": (190, 60), "B": (190, round(960 - (960 - 640) * u))}


SCENES = {
    "together": Scene("together", 7.0, _together),
    "leave_return": Scene("leave_return", 8.0, _leave_return),
    "swap": Scene("swap", 8.0, _swap),
    "enter": Scene("enter", 8.0, _enter),
}


def person_tiles(clip: Path, seconds: float) -> dict[str, list[np.ndarray]]:
    """The two people's tiles, one per scene frame at FPS (nearest clip frame)."""
    frames = [f for f in read_video(clip)]
    step = (frames[-1].timestamp_s / (len(frames) - 1)) if len(frames) > 1 else 1 / FPS
    y, x = CROP

    def tile(t: float, mirror: bool) -> np.ndarray:
        index = min(round(t / step), len(frames) - 1)
        image = frames[index].image[y : y + TILE, x : x + TILE]
        return image[:, ::-1].copy() if mirror else image.copy()

    count = round(seconds * FPS)
    return {
        "A": [tile(k / FPS, False) for k in range(count)],
        "B": [tile(B_START_S + k / FPS, True) for k in range(count)],
    }


def compose(scene: Scene, clip: Path, path: Path) -> list[dict[str, tuple[int, int] | None]]:
    """Write the scene as an mp4; return the layout of every frame (the ground truth)."""
    cv2 = load_cv2()
    tiles = person_tiles(clip, scene.seconds)
    height, width = CANVAS
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"{path}: OpenCV cannot write mp4v video here")
    truth = []
    for k in range(len(tiles["A"])):
        layout = scene.layout(k / FPS)
        canvas = np.full((height, width, 3), 24, np.uint8)
        for person, where in layout.items():
            if where is None:
                continue
            y, x = where
            visible = min(TILE, width - x)
            if visible > 0:
                canvas[y : y + TILE, x : x + visible] = tiles[person][k][:, :visible]
        writer.write(canvas)
        truth.append(layout)
    writer.release()
    return truth


def identity_report(
    tracks: list[dict], truth: list[dict[str, tuple[int, int] | None]], fps: float = FPS
) -> dict:
    """Per person, the tracks that held them second by second, and the switches between them.

    `tracks` is a schema_version 2 timeline's `tracks` (each with `seconds` carrying `box`).
    """
    held: dict[str, list[tuple[int, int]]] = {}  # person -> [(t, track)]
    for track in tracks:
        for second in track["seconds"]:
            if not second["face"] or not second.get("box"):
                continue
            person = _nearest_person(second["box"], second["t"], truth, fps)
            if person is not None:
                held.setdefault(person, []).append((second["t"], track["track"]))
    report = {"people": {}, "switches": 0, "tracks": len(tracks)}
    for person, seen in sorted(held.items()):
        seen.sort()
        ids = [track for _, track in seen]
        switches = sum(1 for a, b in itertools.pairwise(ids) if a != b)
        report["people"][person] = {"tracks": sorted(set(ids)), "seconds": len(ids),
                                    "switches": switches}  # fmt: skip
        report["switches"] += switches
    return report


def _nearest_person(box, t: int, truth, fps: float) -> str | None:
    """The person whose tile centre (mean over second t) is nearest to the box centre."""
    frames = truth[round(t * fps) : round((t + 1) * fps)]
    centre = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
    best, best_d = None, math.inf
    for person in {p for layout in frames for p in layout}:
        spots = [layout[person] for layout in frames if layout.get(person) is not None]
        if not spots:
            continue
        y, x = np.mean(spots, axis=0)
        d = float(np.linalg.norm(centre - (x + TILE / 2, y + TILE / 2)))
        if d < best_d:
            best, best_d = person, d
    return best if best_d < TILE else None


def run_scene(scene: Scene, clip: Path, folder: Path, max_faces: int = 4) -> dict:
    """Compose the scene, run `edge-emo run --max-faces` on it, return the timeline and report."""
    video = folder / f"{scene.name}.mp4"
    truth = compose(scene, clip, video)
    out = folder / f"{scene.name}.emotions.json"
    command = [sys.executable, "-m", "edge_runtime.cli", "run", str(video), "-o", str(out),
               "--max-faces", str(max_faces), "-q"]  # fmt: skip
    subprocess.run(command, check=True)
    timeline = json.loads(out.read_text())
    report = identity_report(timeline["tracks"], truth)
    report["expected_tracks"] = scene.people
    return {"timeline": timeline, "report": report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("--scenes", nargs="*", default=list(SCENES))
    parser.add_argument("--keep", type=Path, help="Keep the scene videos and timelines here.")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from edge_emo.benchmarks.machine import emit

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for name in args.scenes:
            report = run_scene(SCENES[name], args.clip, folder)["report"]
            rows.append({"scene": name, **report})
            print(rows[-1], flush=True)
    emit({"clip": str(args.clip), "scenes": rows,
          "switches": sum(r["switches"] for r in rows)}, args.json)  # fmt: skip


if __name__ == "__main__":
    main()
