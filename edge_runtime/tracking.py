"""Stable identities for several faces across frames (groundwork for `--max-faces`).

Each face box is matched to a track by overlap with where that track is expected now
(its last box moved by its recent velocity), or, failing any overlap, by how close the
centres are in units of face size. A track that is not seen for `memory_s` has ended,
so a person who turns away for a moment keeps their id; a new person gets a new id, and
ids are never reused within one tracker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class TrackerOptions:
    memory_s: float = 2.0  # unseen this long: the track has ended
    min_iou: float = 0.1  # overlap that counts as the same face
    max_centre_distance: float = 0.75  # without overlap: centre distance / face size


@dataclass
class Track:
    id: int
    box: np.ndarray  # x0, y0, x1, y1 in pixels
    first_seen_s: float
    last_seen_s: float
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(4))  # box change per second

    def predicted(self, timestamp_s: float) -> np.ndarray:
        return self.box + self.velocity * (timestamp_s - self.last_seen_s)


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two x0, y0, x1, y1 boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def centre_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Distance between box centres, in units of the mean of the two boxes' sizes."""
    ca, cb = (a[:2] + a[2:]) / 2, (b[:2] + b[2:]) / 2
    size = (np.sqrt((a[2] - a[0]) * (a[3] - a[1])) + np.sqrt((b[2] - b[0]) * (b[3] - b[1]))) / 2
    return float(np.linalg.norm(ca - cb) / size) if size > 0 else float("inf")


class FaceTracker:
    """`update(t, boxes)` once per frame -> an id per box; `ended` lists tracks that have ended."""

    def __init__(self, options: TrackerOptions | None = None) -> None:
        self.options = options or TrackerOptions()
        self.tracks: dict[int, Track] = {}
        self.ended: list[Track] = []  # since the last update
        self._next_id = 1

    def update(self, timestamp_s: float, boxes: list[np.ndarray]) -> list[int]:
        """Ids for `boxes` (in their order); new faces get new ids."""
        self.ended = [
            t for t in self.tracks.values() if timestamp_s - t.last_seen_s > self.options.memory_s
        ]
        for track in self.ended:
            del self.tracks[track.id]
        ids: list[int | None] = [None] * len(boxes)
        for track_id, index in self._match(timestamp_s, boxes):
            track = self.tracks[track_id]
            box = np.asarray(boxes[index], dtype=float)
            dt = timestamp_s - track.last_seen_s
            if dt > 0:  # smoothed velocity: a face moving steadily is looked for where it goes
                track.velocity = 0.5 * track.velocity + 0.5 * (box - track.box) / dt
            track.box, track.last_seen_s = box, timestamp_s
            ids[index] = track_id
        for index, box in enumerate(boxes):
            if ids[index] is None:
                track = Track(self._next_id, np.asarray(box, dtype=float), timestamp_s, timestamp_s)
                self.tracks[track.id] = track
                ids[index] = track.id
                self._next_id += 1
        return [int(i) for i in ids]

    def _match(self, timestamp_s: float, boxes: list[np.ndarray]) -> list[tuple[int, int]]:
        """Greedy best-first pairs (track id, box index): overlap first, then closeness."""
        candidates = []
        for track in self.tracks.values():
            expected = track.predicted(timestamp_s)
            for index, box in enumerate(boxes):
                box = np.asarray(box, dtype=float)
                iou = box_iou(expected, box)
                if iou >= self.options.min_iou:
                    candidates.append((0, -iou, track.id, index))
                    continue
                distance = centre_distance(expected, box)
                if distance <= self.options.max_centre_distance:
                    candidates.append((1, distance, track.id, index))
        pairs, used_tracks, used_boxes = [], set(), set()
        for _, _, track_id, index in sorted(candidates):
            if track_id in used_tracks or index in used_boxes:
                continue
            pairs.append((track_id, index))
            used_tracks.add(track_id)
            used_boxes.add(index)
        return pairs
