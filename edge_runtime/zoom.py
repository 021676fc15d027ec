"""Faces too small for the detector in the whole frame, found in zoomed parts of it.

MediaPipe's face detector sees a 128x128 copy of the frame, so a face much under a fifth of
the frame's height goes unseen: a speaker at a podium filmed in 720p (a real 20 s clip: no
face in any second), a person across the room from a camera. When the whole frame shows no
face, `ZoomSearch` looks in overlapping squares of half the frame's shorter side (at most
once a second, a few tens of milliseconds on a desktop), and once it finds a face follows
it in a square three times the face's size. Squares are landmarked in IMAGE mode, each frame
afresh, so moving the square never confuses a tracker; the points come back in the whole
frame's pixels. One face only: with `--max-faces` > 1 the whole frame is all there is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from edge_runtime._quiet import native_stderr_silenced

if TYPE_CHECKING:
    from edge_runtime.face_landmarks import FaceLandmarker, FaceObservation
    from edge_runtime.sources.video import VideoFrame

Box = tuple[int, int, int]  # x0, y0, side: a square in the frame, in pixels


@dataclass(frozen=True)
class ZoomOptions:
    """How small faces are looked for when the whole frame shows none."""

    every_s: float = 1.0  # search the squares at most this often while no face is seen
    tile: float = 0.5  # a search square's side, share of the frame's shorter side
    context: float = 3.0  # a followed face's square, times the face's larger side
    # a square's face must be surer than the whole frame's 0.5: a search looks at some twenty
    # squares, each enlarged, and at 0.5 twelve searches of a real clip (the podium clip of
    # README "Small faces") took the podium's round seal for a face 5 times; at 0.6 and 0.7
    # they found the speaker every time and the seal never
    min_detection_confidence: float = 0.7


def search_boxes(height: int, width: int, tile: float) -> list[Box]:
    """Squares of side `tile` x the shorter side, overlapping by half, covering the frame."""
    side = max(1, round(min(height, width) * tile))
    step = max(1, side // 2)

    def starts(extent: int) -> list[int]:
        last = max(0, extent - side)
        return sorted({*range(0, last + 1, step), last})

    return [(x, y, side) for y in starts(height) for x in starts(width)]


def follow_box(face_box: np.ndarray, height: int, width: int, context: float) -> Box:
    """The square around a face box (x0, y0, x1, y1) `context` times its larger side, moved
    inside the frame (and no larger than its shorter side)."""
    x0, y0, x1, y1 = (float(v) for v in face_box)
    side = int(min(min(height, width), max(2.0, max(x1 - x0, y1 - y0) * context)))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left = int(np.clip(round(cx - side / 2), 0, width - side))
    top = int(np.clip(round(cy - side / 2), 0, height - side))
    return left, top, side


def shifted(face: FaceObservation, dx: float, dy: float) -> FaceObservation:
    """`face` found in a crop, moved back into the whole frame's pixels."""
    return replace(
        face,
        mesh=face.mesh + np.array([dx, dy, 0.0], np.float32),
        ibug68=face.ibug68 + np.array([dx, dy], face.ibug68.dtype),
    )


class ZoomSearch:
    """The small-face search of one video stream; create with `ZoomSearch.create`."""

    def __init__(self, make_landmarker: Callable[[], FaceLandmarker], options: ZoomOptions):
        self._make = make_landmarker  # an IMAGE-mode landmarker, made on first need
        self._landmarker: FaceLandmarker | None = None
        self.options = options
        self.box: Box | None = None  # the square a face is followed in, if any
        self._searched_at: float | None = None

    @classmethod
    def create(cls, make_landmarker: Callable[[], FaceLandmarker],
               options: ZoomOptions | None = None) -> ZoomSearch:  # fmt: skip
        return cls(make_landmarker, options or ZoomOptions())

    def seen_whole(self) -> None:
        """The whole frame showed a face: nothing to follow here."""
        self.box = None

    def detect(self, frame: VideoFrame) -> FaceObservation | None:
        """The face in `frame` that the whole frame missed, or None."""
        from edge_runtime.face_landmarks import face_box, largest_face

        height, width = frame.image.shape[:2]
        if self.box is not None:
            face = self._in_box(frame, self.box)
            if face is not None:
                self.box = follow_box(face_box(face.mesh), height, width, self.options.context)
                return face
            self.box = None
        # at most one search per `every_s` of source time (a clock that restarts, as a
        # replayed file's may, searches at once)
        t = frame.timestamp_s
        since = None if self._searched_at is None else t - self._searched_at
        if since is not None and 0 <= since < self.options.every_s:
            return None
        self._searched_at = t
        found = [self._in_box(frame, box) for box in search_boxes(height, width, self.options.tile)]
        face = largest_face([f for f in found if f is not None])
        if face is not None:
            self.box = follow_box(face_box(face.mesh), height, width, self.options.context)
        return face

    def _in_box(self, frame: VideoFrame, box: Box) -> FaceObservation | None:
        if self._landmarker is None:
            self._landmarker = self._make()
        x0, y0, side = box
        crop = np.ascontiguousarray(frame.image[y0 : y0 + side, x0 : x0 + side])
        # mediapipe 0.10.18 (the Pi pin) logs a NORM_RECT warning on fd 2 at some crop,
        # not the first: every call is silenced, so a quiet run stays quiet
        with native_stderr_silenced():
            face = self._landmarker.detect(replace(frame, image=crop))
        return None if face is None else shifted(face, x0, y0)

    def close(self) -> None:
        landmarker, self._landmarker = self._landmarker, None
        if landmarker is not None:
            landmarker.close()
