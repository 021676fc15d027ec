"""Frames through the pipeline into the sinks, between the header and the footer every
timeline output has (schema in the README); shared by file runs, live runs and `serve`."""

from __future__ import annotations

import contextlib
import dataclasses
import math
from datetime import datetime, timezone
from typing import Any

from edge_runtime import __version__
from edge_runtime.features.windowing import min_frames
from edge_runtime.model.metadata import ModelMetadata
from edge_runtime.pipeline import EmotionPipeline, PipelineOptions
from edge_runtime.sinks import Sink
from edge_runtime.sources.rate import FrameRateLimiter

SCHEMA = "edge-emo/timeline"
SCHEMA_VERSION = 1  # one face (the default): unchanged since the first release
SCHEMA_VERSION_TRACKS = 2  # --max-faces > 1: a timeline per tracked person


def timeline_header(
    meta: ModelMetadata,
    model_sha256: str,
    source: dict[str, Any],
    mode: str,
    max_fps: float | None = None,
    faces: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The header every timeline output starts with (schema in the README).

    `faces` (several faces tracked: max and tracker settings) makes it schema_version 2.
    """
    header = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION if faces is None else SCHEMA_VERSION_TRACKS,
        "generated_by": f"edge-emo {__version__}",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": source,
        "model": {
            "name": meta.name,
            "sha256": model_sha256,
            "quantisation": meta.quantisation.get("mode"),
            "training_data": meta.training_data_summary,
            "synthetic": meta.synthetic,
        },
        "labels": list(meta.labels),
        "window": {
            "frames": meta.window,
            "fps": meta.fps,
            "hop": meta.hop,
            "mode": mode,
            "short_clip_padding": f"clips shorter than {meta.window} frames are padded by holding their first and "
            f"last frames (at least {min_frames(meta.window)} tracked frames needed)"
            if meta.window > min_frames(meta.window)
            else f"none: a window needs {meta.window} tracked frames",
        },
    }
    if max_fps is not None:  # --max-fps: fewer frames analysed, interpolated to `fps`
        header["window"]["max_fps"] = max_fps
    if faces is not None:
        header["faces"] = faces
    if meta.training_data.get("licence"):
        header["model"]["licence"] = meta.training_data["licence"]
    if meta.class_prior:  # the probabilities below already carry it
        header["model"]["class_prior"] = dict(meta.class_prior)
    if meta.reject:  # each second's top reads `to` where the model is unsure (probs unchanged)
        header["model"]["reject"] = dict(meta.reject)
    if meta.synthetic:
        header["notice"] = (
            "The model was trained on SYNTHETIC prototype expressions, not real faces or RAVDESS."
        )
    return header


def faces_header(options: PipelineOptions) -> dict[str, Any] | None:
    """The header's `faces` block: None for one face (schema_version 1), else the tracking."""
    if options.face.max_faces <= 1:
        return None
    return {"max": options.face.max_faces, "tracker": dataclasses.asdict(options.tracker)}


def drive(
    pipeline: EmotionPipeline,
    frames,
    sinks: list[Sink],
    header: dict,
    on_frame=None,
    on_entry=None,
    more_footer=None,
) -> dict[str, Any]:
    """Run frames through the pipeline into the sinks; return the footer (sinks closed or aborted).

    `on_frame(frame)` and `on_entry(entry)` observe the stream; `more_footer()` adds to
    the footer the sinks write.
    """
    stats = {"seconds": 0, "face_seconds": 0, "frames": 0, "last_t": 0.0, "top": {}}

    def counted(stream):
        for frame in stream:
            stats["frames"] += 1
            stats["last_t"] = frame.timestamp_s
            yield frame
            if on_frame:
                on_frame(frame)

    for sink in sinks:
        sink.open(header)
    try:
        for entry in pipeline.run(counted(frames)):
            stats["seconds"] += 1
            if entry.face:
                stats["face_seconds"] += 1
                stats["top"][entry.top] = stats["top"].get(entry.top, 0) + 1
            for sink in sinks:
                sink.write(entry)
            if on_entry:
                on_entry(entry)
        fps = pipeline.metadata.fps
        duration = source_duration(stats["frames"], stats["last_t"], fps) if stats["frames"] else 0
        if pipeline.faces is None:
            footer = {
                "duration_s": round(stats["seconds"] and duration, 3),
                "frames": stats["frames"],
                "seconds_total": stats["seconds"],
                "seconds_with_face": stats["face_seconds"],
            }
        else:  # schema_version 2: seconds of the video, and of each person
            footer = {
                "duration_s": round(duration, 3),
                "frames": stats["frames"],
                "seconds_total": video_seconds(stats["frames"], stats["last_t"], fps),
                "track_seconds": stats["seconds"],
                "track_seconds_with_face": stats["face_seconds"],
                **pipeline.faces.footer(),
            }
        footer.update(more_footer() if more_footer else {})
        for sink in sinks:
            sink.close(footer)
    except BaseException:
        for sink in sinks:
            with contextlib.suppress(Exception):
                sink.abort()
        raise
    footer["top_counts"] = stats["top"]
    return footer


def skipped(limiter: FrameRateLimiter) -> dict[str, Any]:
    """Footer fields of --max-fps: the frames it left out, and the duration of all frames."""
    if limiter.max_fps is None or not limiter.seen:
        return {}
    duration = source_duration(limiter.seen, limiter.last_timestamp_s, limiter.max_fps)
    return {"duration_s": round(duration, 3), "frames_skipped": limiter.skipped}


def video_seconds(frames: int, last_t: float, fps: float) -> int:
    """How many timeline seconds a source has: those of its 30 fps frames up to `last_t`."""
    if not frames:
        return 0
    resampled = math.floor(last_t * fps + 1e-9) + 1
    return int((resampled - 1) // fps) + 1


def source_duration(frames: int, last_t: float, fallback_fps: float) -> float:
    """Duration from the last frame's time plus one mean frame interval."""
    return last_t + (last_t / (frames - 1) if frames > 1 else 1.0 / fallback_fps)
