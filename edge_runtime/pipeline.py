"""The streaming data path, one stage per module:

frames (sources/) -> FaceLandmarker, 478 points (face_landmarks.py; small faces: zoom.py)
-> 68 iBUG points (features/landmarks.py) -> 30 fps (features/resample.py) -> windows of
the model's length (features/windowing.py) -> normalised (features/normalise.py; with the face's
running baseline, features/baseline.py, where the model names one) -> classifier
(model/classifier.py) -> per-second timeline (timeline.py) -> sinks (sinks/).

Memory is bounded by one window of landmarks per face (and a baseline's last minute of
frames), whatever the length of the input.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from edge_runtime.face_landmarks import FaceLandmarker, FaceLandmarkerOptions, FaceObservation
from edge_runtime.features.baseline import RunningBaseline
from edge_runtime.features.normalise import geometric_features, standardise
from edge_runtime.features.resample import Resampler
from edge_runtime.features.windowing import Window, WindowStream
from edge_runtime.model.classifier import ClassifierOptions, EmotionClassifier
from edge_runtime.sources.video import VideoFrame
from edge_runtime.timeline import Mode, SecondEntry, Smoother, TimelineAssembler, reject_unsure
from edge_runtime.tracking import TrackerOptions


@dataclass
class StageTimes:
    """Wall time spent per stage, for the speed report (`decode` is measured by the caller)."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    frames: int = 0
    windows: int = 0

    def add(self, stage: str, start: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] += now - start
        return now


@dataclass(frozen=True)
class PipelineOptions:
    """Everything `edge-emo run` configures: model, faces and their tracking, timeline mode,
    smoothing."""

    classifier: ClassifierOptions = field(default_factory=ClassifierOptions)
    face: FaceLandmarkerOptions = field(default_factory=FaceLandmarkerOptions)
    mode: Mode = "centred"
    smoothing: float | None = None  # alpha for Smoother; None = off
    tracker: TrackerOptions = field(default_factory=TrackerOptions)  # with face.max_faces > 1


class EmotionPipeline:
    """Frames in, finished timeline seconds out; create with `EmotionPipeline.create(options)`."""

    def __init__(
        self, classifier: EmotionClassifier, landmarker: FaceLandmarker, options: PipelineOptions
    ):
        self.classifier = classifier
        self.landmarker = landmarker
        self.options = options
        self.times = StageTimes()
        self.last_observation: FaceObservation | None = None
        self.last_probs: np.ndarray | None = None
        self.faces = None  # the MultiFaceRun of a --max-faces > 1 run: tracks, boxes, counts

    @classmethod
    def create(cls, options: PipelineOptions | None = None) -> EmotionPipeline:
        options = options or PipelineOptions()
        classifier = EmotionClassifier.create(options.classifier)
        # the 68 points are made with the model's own 478->68 table, as in its training
        face = replace(options.face, mapping=classifier.metadata.normalisation.landmarks)
        options = replace(options, face=face)
        landmarker = FaceLandmarker.create(face)
        return cls(classifier, landmarker, options)

    @property
    def metadata(self):
        return self.classifier.metadata

    def run(self, frames: Iterable[VideoFrame]) -> Iterator[SecondEntry]:
        """Process a stream of frames; yield each second as soon as it is final.

        With `face.max_faces` > 1 every tracked person gets a timeline of their own
        (multiface.py); entries then carry their `track`.
        """
        if self.options.face.max_faces > 1:
            from edge_runtime.multiface import MultiFaceRun

            self.faces = MultiFaceRun(self)
            yield from self.faces.run(frames)
            return
        stream = self.stream()
        times = self.times
        for frame in frames:
            start = time.perf_counter()
            observation = self.landmarker.detect(frame)
            self.last_observation = observation
            times.add("landmarks", start)
            times.frames += 1
            points = None if observation is None else observation.ibug68
            yield from stream.push(frame.timestamp_s, points)
        yield from stream.finish()

    def current_faces(self) -> list[tuple[int | None, FaceObservation]]:
        """The faces of the last frame with their track ids (None: one-face run, or a track not
        yet confirmed), for drawing."""
        if self.faces is not None:
            return list(self.faces.last_faces)
        return [] if self.last_observation is None else [(None, self.last_observation)]

    def stream(self, first_frame: int = 0) -> FaceStream:
        """The per-face part of the data path, for one face from `first_frame` on."""
        return FaceStream(self, first_frame)

    def classify(
        self, window: Window, baseline: RunningBaseline | None = None
    ) -> np.ndarray | None:
        """Probabilities of an accepted window (None for a rejected one); a face's `baseline`
        first learns the window's new frames, then shifts the window."""
        if not window.accepted:
            return None
        start = time.perf_counter()
        spec = self.metadata.normalisation
        features = geometric_features(window.points, spec)
        if baseline is not None:
            baseline.observe(features[window.real], window.start)
            features = features - baseline.shift()
        features = standardise(features, spec)
        start = self.times.add("normalise", start)
        probs = self.classifier.predict(features)
        self.times.add("model", start)
        self.last_probs = probs
        self.times.windows += 1
        return probs

    def close(self) -> None:
        self.landmarker.close()

    def __enter__(self) -> EmotionPipeline:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class FaceStream:
    """One face's landmarks -> 30 fps -> windows -> classifier -> finished seconds.

    Frame indices are absolute (frame k is at k / fps), so a face that appears
    mid-video (`first_frame` > 0) gets seconds numbered on the video's clock.
    """

    def __init__(self, pipeline: EmotionPipeline, first_frame: int = 0) -> None:
        meta = pipeline.metadata
        options = pipeline.options
        self.pipeline = pipeline
        self.resampler = Resampler(meta.fps, first_frame)
        self.windows = WindowStream(meta.window, meta.hop, first_frame)
        self.timeline = TimelineAssembler(
            meta.labels, meta.fps, meta.window, options.mode, first_frame
        )
        self.smoother = Smoother(options.smoothing) if options.smoothing else None
        self.reject = meta.reject_rule()
        norm = meta.normalisation
        self.baseline = RunningBaseline.create(norm.baseline, norm.mean)

    def push(self, timestamp_s: float, points: np.ndarray | None) -> list[SecondEntry]:
        """One source frame's (68, 2) points (None = no face); the seconds now final."""
        out: list[SecondEntry] = []
        for resampled in self.resampler.push(timestamp_s, points):
            out += self._step(resampled.points)
        return self._as_read(out)

    def finish(self) -> list[SecondEntry]:
        """The remaining seconds, after the last frame."""
        out: list[SecondEntry] = []
        for resampled in self.resampler.flush():
            out += self._step(resampled.points)
        tail = self.windows.flush()
        if tail is not None:
            self.timeline.add_window(tail, self.pipeline.classify(tail, self.baseline))
        return self._as_read(out + self.timeline.finish())

    def _step(self, points: np.ndarray | None) -> list[SecondEntry]:
        self.timeline.add_frame(points is not None)
        window = self.windows.push(points)
        if window is not None:
            self.timeline.add_window(window, self.pipeline.classify(window, self.baseline))
        return self.timeline.pop_ready()

    def _as_read(self, entries: list[SecondEntry]) -> list[SecondEntry]:
        """Each finished second as it is read: smoothed (live, if asked), then the model's
        reject option (its sidecar's `reject`), if it has one."""
        if self.smoother:
            entries = [self.smoother(e) for e in entries]
        if self.reject:
            entries = [reject_unsure(e, *self.reject) for e in entries]
        return entries
