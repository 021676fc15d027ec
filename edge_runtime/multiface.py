"""Several faces at once (`--max-faces N`): a timeline per person, with stable ids.

FaceLandmarker finds up to N faces per frame; `tracking.FaceTracker` gives each a track
id. Every track has its own `FaceStream` (resampler, windows, timeline, smoother), so a
window never mixes two people, and seconds are numbered on the video's clock.

- A face unseen for a moment keeps its track: the frames it was away are held back and
  go in as "no face" when it returns, so its timeline covers the gap.
- Unseen for the tracker's `memory_s`, the track has ended: the held frames are dropped
  (its timeline ends with its last sighting), its last seconds are flushed and its state
  is freed.
- A track is reported once it has given a second with a face. A face seen too briefly to
  be classified (a false detection, someone passing the edge of the frame) is counted in
  `tracks_discarded`, not reported. Reported tracks are numbered 1, 2, 3... in the order
  they are confirmed; a number is never reused within a run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from edge_runtime.face_landmarks import FaceObservation, face_box, largest_face
from edge_runtime.sources.video import VideoFrame
from edge_runtime.timeline import SecondEntry
from edge_runtime.tracking import FaceTracker

if TYPE_CHECKING:
    from edge_runtime.pipeline import EmotionPipeline, FaceStream


@dataclass
class TrackSummary:
    """One reported person: their id, the seconds their timeline spans, and with a face."""

    track: int
    first_t: int | None = None
    last_t: int | None = None
    seconds_total: int = 0
    seconds_with_face: int = 0

    def add(self, entry: SecondEntry) -> None:
        self.first_t = entry.t if self.first_t is None else self.first_t
        self.last_t = entry.t
        self.seconds_total += 1
        self.seconds_with_face += int(entry.face)

    def to_dict(self) -> dict[str, Any]:
        return {
            "track": self.track,
            "first_t": self.first_t,
            "last_t": self.last_t,
            "seconds_total": self.seconds_total,
            "seconds_with_face": self.seconds_with_face,
        }


@dataclass
class _Track:
    """A tracked face: its stream, the frames it has been away, boxes per second, id."""

    stream: FaceStream
    public_id: int | None = None
    away: list[float] = field(default_factory=list)  # timestamps since its last sighting
    boxes: dict[int, list] = field(default_factory=dict)  # second -> [box sum, frames]
    held: list[SecondEntry] = field(default_factory=list)  # seconds before it is confirmed


class MultiFaceRun:
    """Frames in, every person's finished seconds out (entries carry `track` and `box`)."""

    def __init__(self, pipeline: EmotionPipeline) -> None:
        self.pipeline = pipeline
        self.tracker = FaceTracker(pipeline.options.tracker)
        self.tracks: dict[int, _Track] = {}  # live tracks by tracker id
        self.summaries: dict[int, TrackSummary] = {}  # reported tracks by public id
        self.discarded = 0
        self.last_faces: list[tuple[int | None, FaceObservation]] = []  # (public id, face)
        self._next_public = 1

    def run(self, frames: Iterable[VideoFrame]) -> Iterator[SecondEntry]:
        pipeline, times = self.pipeline, self.pipeline.times
        fps = pipeline.metadata.fps
        for frame in frames:
            start = time.perf_counter()
            faces = pipeline.landmarker.detect_all(frame)
            times.add("landmarks", start)
            times.frames += 1
            t = frame.timestamp_s
            boxes = [face_box(face.mesh) for face in faces]
            ids = self.tracker.update(t, boxes)
            for ended in self.tracker.ended:
                yield from self._end(ended.id)
            seen = dict(zip(ids, zip(faces, boxes, strict=True), strict=True))
            for track_id in ids:
                if track_id not in self.tracks:
                    first = math.ceil(t * fps - 1e-9)  # the first 30 fps frame at or after t
                    self.tracks[track_id] = _Track(pipeline.stream(first))
            for track_id, track in list(self.tracks.items()):
                yield from self._push(track, t, *seen.get(track_id, (None, None)))
            self.last_faces = [(self.tracks[i].public_id, face) for i, (face, _) in seen.items()]
            pipeline.last_observation = largest_face(faces)
        for track_id in list(self.tracks):
            yield from self._end(track_id)

    def footer(self) -> dict[str, Any]:
        """The footer fields of a multi-face timeline."""
        return {
            "tracks": [s.to_dict() for _, s in sorted(self.summaries.items())],
            "tracks_discarded": self.discarded,
        }

    def _push(
        self, track: _Track, t: float, face: FaceObservation | None, box: np.ndarray | None
    ) -> list[SecondEntry]:
        if face is None:
            track.away.append(t)
            return []
        out: list[SecondEntry] = []
        for away_t in track.away:  # it came back: the frames it was away had no face
            out += track.stream.push(away_t, None)
        track.away.clear()
        slot = track.boxes.setdefault(math.floor(t), [np.zeros(4), 0])
        slot[0] += box
        slot[1] += 1
        out += track.stream.push(t, face.ibug68)
        return self._release(track, out)

    def _end(self, track_id: int) -> list[SecondEntry]:
        """The track has ended (unseen too long, or the source ended): flush and free it."""
        track = self.tracks.pop(track_id)
        track.away.clear()  # it never came back: its timeline ends at its last sighting
        out = self._release(track, track.stream.finish())
        if track.public_id is None:
            self.discarded += 1
        return out

    def _release(self, track: _Track, entries: list[SecondEntry]) -> list[SecondEntry]:
        """Label the entries with the track and its boxes; hold them until it is confirmed."""
        for entry in entries:
            slot = track.boxes.pop(entry.t, None)
            entry.box = None if slot is None else [round(v) for v in slot[0] / slot[1]]
        track.held += entries
        if track.public_id is None:
            if not any(entry.face for entry in track.held):
                return []
            track.public_id = self._next_public
            self.summaries[track.public_id] = TrackSummary(track.public_id)
            self._next_public += 1
        out, track.held = track.held, []
        summary = self.summaries[track.public_id]
        for entry in out:
            entry.track = track.public_id
            summary.add(entry)
        return out
