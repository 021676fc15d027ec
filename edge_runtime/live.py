"""A live run: a camera (or a file replayed in real time) -> causal, smoothed seconds.

Frames are read on their own thread and the newest is always the one analysed
(sources/latest.py), so on a slow device the timeline stays current and the frames
there was no time for are dropped, not queued. `edge-emo run --camera` drives a
`LiveSession` in the main thread; `edge-emo serve` drives the same session in a worker
thread while its web server runs, and stops it with `stop()`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from edge_runtime.drive import drive, faces_header, timeline_header
from edge_runtime.face_landmarks import FaceLandmarkerOptions
from edge_runtime.model.classifier import ClassifierOptions
from edge_runtime.overlay import draw_faces
from edge_runtime.pipeline import EmotionPipeline, PipelineOptions
from edge_runtime.sinks import Sink
from edge_runtime.sources.camera import read_camera
from edge_runtime.sources.latest import LatestFrame
from edge_runtime.sources.rate import FrameRateLimiter
from edge_runtime.sources.video import VideoFrame, read_video
from edge_runtime.timeline import SecondEntry


@dataclass(frozen=True)
class LiveOptions:
    """What a live run reads, and how it is analysed."""

    camera: int | None = None
    camera_file: Path | None = None  # replayed at real-time pace instead of a camera
    loop: bool = False  # replay camera_file over and over (a demo, a test)
    seconds: float | None = None  # stop after this much source time
    max_fps: float | None = None
    model: Path | None = None
    threads: int = 1
    smoothing: float = 0.5  # alpha; 0 or 1 = off
    max_faces: int = 1  # > 1: a timeline per person (multiface.py)


def open_source(
    options: LiveOptions,
) -> tuple[Iterator[VideoFrame], dict[str, Any], FrameRateLimiter]:
    """The frames, the header's `source` and the --max-fps limiter of a live run."""
    opened = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    limiter = FrameRateLimiter(options.max_fps)
    if options.camera_file is not None:
        path = options.camera_file
        frames = (
            replay(path, limiter)
            if options.loop
            else read_video(path, realtime=True, limiter=limiter)
        )
        source = {
            "id": f"replay:{path.resolve()}@{opened}",
            "camera": None,
            "replayed_file": str(path),
        }
        if options.loop:
            source["looped"] = True
    else:
        frames = read_camera(options.camera, limiter=limiter)
        source = {"id": f"camera:{options.camera}@{opened}", "camera": options.camera}
    if options.seconds is not None:
        frames = until(frames, options.seconds)
    return frames, source, limiter


def replay(path: Path, limiter: FrameRateLimiter) -> Iterator[VideoFrame]:
    """`path` at real-time pace, again and again, as one stream with increasing times."""
    offset, index = 0.0, 0
    while True:
        last, count = 0.0, 0
        for frame in read_video(path, realtime=True):
            last, count = frame.timestamp_s, count + 1
            t = offset + frame.timestamp_s
            if limiter.keep(t):
                yield VideoFrame(index=index, timestamp_s=t, image=frame.image)
            index += 1
        offset += last + (last / (count - 1) if count > 1 else 1 / 30)  # one frame interval


def until(frames: Iterator[VideoFrame], seconds: float) -> Iterator[VideoFrame]:
    for frame in frames:
        if frame.timestamp_s > seconds:
            return
        yield frame


class LagMeter:
    """How far behind the source each live second is produced, and what became of the frames.

    A causal second t is complete when the source reaches t + 1 s; its lag is the time
    from then to the moment the second reaches the sinks. Constant memory: mean and max.
    """

    def __init__(self, live: LatestFrame, limiter: FrameRateLimiter) -> None:
        self.live = live
        self.limiter = limiter
        self.seconds = 0
        self.total_s = 0.0
        self.max_s = 0.0
        self.last_t = 0.0
        self.last_s = 0.0

    def __call__(self, entry: SecondEntry) -> None:
        lag = max(self.live.lag_s(entry.t + 1), 0.0)
        self.seconds += 1
        self.total_s += lag
        self.max_s = max(self.max_s, lag)
        self.last_t = entry.t + 1
        self.last_s = lag

    def footer(self) -> dict[str, Any]:
        counts = self.live.counts
        live = {
            "frames_read": counts.read,
            "frames_analysed": counts.analysed,
            "frames_dropped": counts.dropped,
            "analysed_fps": round(counts.analysed / self.last_t, 2) if self.last_t else None,
            "lag_s": {
                "mean": round(self.total_s / self.seconds, 3) if self.seconds else None,
                "max": round(self.max_s, 3) if self.seconds else None,
            },
        }
        if self.limiter.max_fps is not None:
            live["frames_skipped"] = self.limiter.skipped
        return {"live": live}

    def describe(self) -> str:
        live = self.footer()["live"]
        text = (
            f"analysed {live['frames_analysed']} of {live['frames_read']} frames read "
            f"({live['analysed_fps'] or 0:.1f} fps), {live['frames_dropped']} dropped as stale"
        )
        if self.seconds:
            text += f"; lag mean {live['lag_s']['mean']:.2f} s, max {live['lag_s']['max']:.2f} s"
        return text


class LiveSession:
    """One live run: create, `drive(sinks)` until the source ends or `stop()`, then `close()`."""

    def __init__(
        self, pipeline: EmotionPipeline, live: LatestFrame, limiter: FrameRateLimiter, header: dict
    ) -> None:
        self.pipeline = pipeline
        self.frames = live
        self.header = header
        self.lag = LagMeter(live, limiter)

    @classmethod
    def create(cls, options: LiveOptions) -> LiveSession:
        frames, source, limiter = open_source(options)
        alpha = options.smoothing if 0 < options.smoothing < 1 else None
        pipeline_options = PipelineOptions(
            classifier=ClassifierOptions(options.model, options.threads),
            face=FaceLandmarkerOptions(max_faces=options.max_faces),
            mode="causal",
            smoothing=alpha,
        )
        pipeline = EmotionPipeline.create(pipeline_options)
        meta = pipeline.metadata
        header = timeline_header(
            meta, meta.sha256, source, "causal", options.max_fps, faces_header(pipeline_options)
        )
        header["window"]["smoothing_alpha"] = alpha
        return cls(pipeline, LatestFrame(frames), limiter, header)

    def drive(
        self, sinks: list[Sink], on_frame: Callable[[VideoFrame], None] | None = None
    ) -> dict[str, Any]:
        """Run until the source ends or `stop()`; returns the footer the sinks got."""
        return drive(
            self.pipeline, self.frames, sinks, self.header, on_frame, self.lag, self.lag.footer
        )

    def stop(self) -> None:
        """Ask the run to end (from any thread): the last seconds and the footer still go out."""
        self.frames.stop()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.frames.close()
        self.pipeline.close()

    def __enter__(self) -> LiveSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Viewer:
    """`--show`: the frame with the 68 points and the latest probabilities as bars; q quits."""

    def __init__(self, pipeline: EmotionPipeline) -> None:
        import cv2

        self.cv2 = cv2
        self.pipeline = pipeline
        self.latest: dict[str, float] | None = None

    def __call__(self, frame: VideoFrame) -> None:
        cv2 = self.cv2
        faces, tracks = self.pipeline.current_faces(), self.pipeline.faces is not None
        image = draw_faces(frame.image, faces, frame.image.shape[1], tracks)
        probs = self.pipeline.last_probs
        if probs is not None:
            for i, (label, p) in enumerate(zip(self.pipeline.metadata.labels, probs, strict=True)):
                y = 20 + 18 * i
                cv2.rectangle(image, (10, y - 12), (10 + int(150 * p), y + 2), (0, 200, 255), -1)
                cv2.putText(
                    image,
                    f"{label} {p:.2f}",
                    (170, y),
                    cv2.FONT_HERSHEY_SIMPLEX,
                    0.45,
                    (255, 255, 255),
                    1,
                )
        cv2.imshow("edge-emo", image)
        if cv2.waitKey(1) & 0xFF == ord("q"):
            raise KeyboardInterrupt

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.cv2.destroyAllWindows()
