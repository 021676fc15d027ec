"""The streaming data path, one stage per module:

frames (sources/) -> FaceLandmarker, 478 points (face_landmarks.py) -> 68 iBUG points
(features/landmarks.py) -> 30 fps (features/resample.py) -> 90-frame windows
(features/windowing.py) -> normalised (features/normalise.py) -> classifier
(model/classifier.py) -> per-second timeline (timeline.py) -> sinks (sinks/).

Memory is bounded by one window of landmarks, whatever the length of the input.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from edge_runtime.face_landmarks import FaceLandmarker, FaceLandmarkerOptions, FaceObservation
from edge_runtime.features.normalise import normalise_window
from edge_runtime.features.resample import Resampler
from edge_runtime.features.windowing import Window, WindowStream
from edge_runtime.model.classifier import ClassifierOptions, EmotionClassifier
from edge_runtime.sources.video import VideoFrame
from edge_runtime.timeline import Mode, SecondEntry, Smoother, TimelineAssembler


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
    """Everything `edge-emo run` configures: model, face tracking, timeline mode, smoothing."""

    classifier: ClassifierOptions = field(default_factory=ClassifierOptions)
    face: FaceLandmarkerOptions = field(default_factory=FaceLandmarkerOptions)
    mode: Mode = "centred"
    smoothing: float | None = None  # alpha for Smoother; None = off


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

    @classmethod
    def create(cls, options: PipelineOptions | None = None) -> EmotionPipeline:
        options = options or PipelineOptions()
        classifier = EmotionClassifier.create(options.classifier)
        landmarker = FaceLandmarker.create(options.face)
        return cls(classifier, landmarker, options)

    @property
    def metadata(self):
        return self.classifier.metadata

    def run(self, frames: Iterable[VideoFrame]) -> Iterator[SecondEntry]:
        """Process a stream of frames; yield each second as soon as it is final."""
        meta = self.metadata
        resampler = Resampler(meta.fps)
        windows = WindowStream(meta.window, meta.hop)
        timeline = TimelineAssembler(meta.labels, meta.fps, meta.window, self.options.mode)
        smoother = Smoother(self.options.smoothing) if self.options.smoothing else None
        times = self.times

        def emit(entries: list[SecondEntry]) -> Iterator[SecondEntry]:
            for entry in entries:
                yield smoother(entry) if smoother else entry

        for frame in frames:
            start = time.perf_counter()
            observation = self.landmarker.detect(frame)
            self.last_observation = observation
            times.add("landmarks", start)
            times.frames += 1
            points = None if observation is None else observation.ibug68
            for resampled in resampler.push(frame.timestamp_s, points):
                yield from emit(self._step(resampled.points, windows, timeline))
        for resampled in resampler.flush():
            yield from emit(self._step(resampled.points, windows, timeline))
        tail = windows.flush()
        if tail is not None:
            self._classify(tail, timeline)
        yield from emit(timeline.finish())

    def _step(
        self, points: np.ndarray | None, windows: WindowStream, timeline: TimelineAssembler
    ) -> list[SecondEntry]:
        timeline.add_frame(points is not None)
        window = windows.push(points)
        if window is not None:
            self._classify(window, timeline)
        return timeline.pop_ready()

    def _classify(self, window: Window, timeline: TimelineAssembler) -> None:
        probs = None
        if window.accepted:
            start = time.perf_counter()
            features = normalise_window(window.points, self.metadata.normalisation)
            start = self.times.add("normalise", start)
            probs = self.classifier.predict(features)
            self.times.add("model", start)
            self.last_probs = probs
            self.times.windows += 1
        timeline.add_window(window, probs)

    def close(self) -> None:
        self.landmarker.close()

    def __enter__(self) -> EmotionPipeline:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
