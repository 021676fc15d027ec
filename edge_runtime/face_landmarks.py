"""MediaPipe FaceLandmarker (Tasks API) as a streaming stage: frame in, 478 points out.

VIDEO running mode is the default: it tracks the face between frames, which is
several times faster than detecting it anew (IMAGE mode) and keeps small faces.
With several faces in view the largest one (by landmark bounding-box area) is
followed, on the assumption that the person using the device is closest to it.
A face too small for the detector in the whole frame is looked for in parts of it
(zoom.py).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from edge_runtime._mediapipe import load_vision
from edge_runtime._quiet import native_stderr_silenced
from edge_runtime.assets import face_landmarker_bytes
from edge_runtime.errors import DependencyError
from edge_runtime.features.landmarks import DEFAULT_MAPPING, check_mapping, mediapipe_to_ibug68
from edge_runtime.sources.video import VideoFrame, load_cv2
from edge_runtime.zoom import ZoomOptions, ZoomSearch


class RunningMode(enum.Enum):
    VIDEO = "video"
    IMAGE = "image"


@dataclass(frozen=True)
class FaceLandmarkerOptions:
    """How faces are found; defaults suit one person in front of a camera."""

    running_mode: RunningMode = RunningMode.VIDEO
    max_faces: int = 1
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    model_path: str | Path | None = None
    blendshapes: bool = False  # also MediaPipe's 52 expression scores (same graph call)
    # the 478->68 table (features/landmarks.MAPPINGS); a pipeline takes its model's
    mapping: str = DEFAULT_MAPPING
    # faces too small for the whole frame looked for in parts of it (zoom.py); VIDEO mode,
    # one face. None: the whole frame only (training data is made so, to stay reproducible)
    zoom: ZoomOptions | None = field(default_factory=ZoomOptions)


@dataclass(frozen=True)
class FaceObservation:
    """The followed face in one frame: 478 mesh points and their 68 iBUG points, in pixels."""

    mesh: np.ndarray  # (478, 3): x, y in pixels, z in MediaPipe's relative units
    ibug68: np.ndarray  # (68, 2) pixels
    face_count: int
    blendshapes: np.ndarray | None = None  # (52,) scores in [0, 1], when asked for


class FaceLandmarker:
    """Wraps mediapipe.tasks FaceLandmarker; create with `FaceLandmarker.create(options)`."""

    def __init__(self, landmarker, options: FaceLandmarkerOptions) -> None:
        self._landmarker = landmarker
        self.options = options
        self._last_ms = -1
        self._zoom = None
        zooms = options.zoom is not None and options.max_faces == 1
        if zooms and options.running_mode is RunningMode.VIDEO:
            sure = max(options.min_detection_confidence, options.zoom.min_detection_confidence)
            crops = replace(options, running_mode=RunningMode.IMAGE, zoom=None,
                            min_detection_confidence=sure)  # fmt: skip
            self._zoom = ZoomSearch.create(lambda: FaceLandmarker.create(crops), options.zoom)
        self._cv2 = load_cv2()
        self._mp = load_vision()[0]  # once: load_vision() per frame cost ~0.07 ms

    @classmethod
    def create(cls, options: FaceLandmarkerOptions | None = None) -> FaceLandmarker:
        options = options or FaceLandmarkerOptions()
        check_mapping(options.mapping)
        model = face_landmarker_bytes(options.model_path)
        try:
            _, vision, BaseOptions = load_vision()
        except ImportError as exc:  # pragma: no cover - mediapipe is a base dependency
            raise DependencyError(f"mediapipe is not installed ({exc})") from None
        mode = (
            vision.RunningMode.VIDEO
            if options.running_mode is RunningMode.VIDEO
            else vision.RunningMode.IMAGE
        )
        mp_options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=model),
            running_mode=mode,
            num_faces=options.max_faces,
            min_face_detection_confidence=options.min_detection_confidence,
            min_face_presence_confidence=options.min_presence_confidence,
            min_tracking_confidence=options.min_tracking_confidence,
            output_face_blendshapes=options.blendshapes,
        )
        with native_stderr_silenced():
            landmarker = vision.FaceLandmarker.create_from_options(mp_options)
        return cls(landmarker, options)

    def detect(self, frame: VideoFrame) -> FaceObservation | None:
        """Landmarks of the largest face in `frame`, or None when no face is found; with
        `zoom`, a face too small for the whole frame is looked for in parts of it."""
        face = largest_face(self.detect_all(frame))
        if self._zoom is None:
            return face
        if face is not None:
            self._zoom.seen_whole()
            return face
        return self._zoom.detect(frame)

    def detect_all(self, frame: VideoFrame) -> list[FaceObservation]:
        """Landmarks of every face found (at most `max_faces`), in MediaPipe's order."""
        mp = self._mp
        # cvtColor: ~40x faster than numpy's reversed-channel copy on a 640x360 frame.
        rgb = self._cv2.cvtColor(frame.image, self._cv2.COLOR_BGR2RGB)
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        if self.options.running_mode is RunningMode.VIDEO:
            # VIDEO mode needs strictly increasing integer milliseconds.
            ms = max(round(frame.timestamp_s * 1000.0), self._last_ms + 1)
            first = self._last_ms < 0
            self._last_ms = ms
            if first:  # the first inference logs its set-up on fd 2
                with native_stderr_silenced():
                    result = self._landmarker.detect_for_video(image, ms)
            else:
                result = self._landmarker.detect_for_video(image, ms)
        else:
            result = self._landmarker.detect(image)
        height, width = frame.image.shape[:2]
        count = len(result.face_landmarks)
        observations = []
        for i, face in enumerate(result.face_landmarks):
            mesh = _mesh_pixels(face, width, height)
            scores = None
            if self.options.blendshapes and len(result.face_blendshapes) > i:
                scores = np.array([c.score for c in result.face_blendshapes[i]], dtype=np.float32)
            observations.append(
                FaceObservation(
                    mesh,
                    mediapipe_to_ibug68(mesh, self.options.mapping),
                    count,
                    blendshapes=scores,
                )
            )
        return observations

    def close(self) -> None:
        """Release the graphs now (not at interpreter shutdown); safe to call twice."""
        landmarker, self._landmarker = self._landmarker, None
        if landmarker is not None:
            landmarker.close()
        if self._zoom is not None:
            self._zoom.close()

    def __enter__(self) -> FaceLandmarker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _mesh_pixels(face, width: int, height: int) -> np.ndarray:
    """MediaPipe's normalised landmarks as a (N, 3) float32 array in pixels (z scaled as x)."""
    n = len(face)
    flat = np.fromiter((v for p in face for v in (p.x, p.y, p.z)), np.float64, 3 * n)
    return (flat.reshape(n, 3) * (width, height, width)).astype(np.float32)


def face_box(mesh: np.ndarray) -> np.ndarray:
    """The face's box x0, y0, x1, y1 in pixels: the extent of its mesh points."""
    points = mesh[:, :2]
    return np.concatenate([points.min(axis=0), points.max(axis=0)]).astype(np.float64)


def largest_face(faces: list[FaceObservation]) -> FaceObservation | None:
    """The face with the largest landmark box (the person closest to the camera), or None."""
    if len(faces) > 1:
        return max(faces, key=lambda face: _bbox_area(face.mesh))
    return faces[0] if faces else None


def _bbox_area(mesh: np.ndarray) -> float:
    span = mesh[:, :2].max(axis=0) - mesh[:, :2].min(axis=0)
    return float(span[0] * span[1])
