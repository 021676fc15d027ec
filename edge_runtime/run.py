"""`edge-emo run`: videos or a camera -> per-second emotion timelines in the chosen sinks.

Files use centred windows (each second averages every 3 s window that covers it);
cameras are causal (each second is the last 3 s) and smoothed. Many videos run in a
process pool; one bad file is reported and skipped. Outputs appear atomically, and a
video whose output already exists is skipped unless --overwrite.
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_runtime import __version__, cancel
from edge_runtime.classifier import ClassifierOptions
from edge_runtime.errors import EdgeEmoError, InputError
from edge_runtime.extract import find_videos
from edge_runtime.metadata import ModelMetadata
from edge_runtime.pipeline import EmotionPipeline, PipelineOptions
from edge_runtime.sinks import ConsoleSink, Sink, make_sinks
from edge_runtime.sources.camera import read_camera
from edge_runtime.sources.latest import LatestFrame
from edge_runtime.sources.rate import FrameRateLimiter
from edge_runtime.sources.video import VideoFrame, probe_video, read_video
from edge_runtime.timeline import SecondEntry
from edge_runtime.windowing import MIN_FRAMES

if TYPE_CHECKING:
    from edge_runtime.mqtt.publisher import MqttPublisher

SCHEMA = "edge-emo/timeline"
SCHEMA_VERSION = 1
SUFFIX = {"json": ".emotions.json", "jsonl": ".emotions.jsonl", "csv": ".emotions.csv"}


@dataclass(frozen=True)
class RunSummary:
    source: str
    outputs: list[str]
    seconds: int
    face_seconds: int
    frames: int
    wall_s: float
    top: str | None


def timeline_header(
    meta: ModelMetadata,
    model_sha256: str,
    source: dict[str, Any],
    mode: str,
    max_fps: float | None = None,
) -> dict[str, Any]:
    """The header every timeline output starts with (schema in the README)."""
    header = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
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
            f"last frames (at least {MIN_FRAMES} tracked frames needed)",
        },
    }
    if max_fps is not None:  # --max-fps: fewer frames analysed, interpolated to `fps`
        header["window"]["max_fps"] = max_fps
    if meta.training_data.get("licence"):
        header["model"]["licence"] = meta.training_data["licence"]
    if meta.synthetic:
        header["notice"] = (
            "The model was trained on SYNTHETIC prototype expressions, not real faces or RAVDESS."
        )
    return header


def _drive(
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
        footer = {
            "duration_s": round(
                stats["seconds"]
                and source_duration(stats["frames"], stats["last_t"], pipeline.metadata.fps),
                3,
            ),
            "frames": stats["frames"],
            "seconds_total": stats["seconds"],
            "seconds_with_face": stats["face_seconds"],
            **(more_footer() if more_footer else {}),
        }
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


def source_duration(frames: int, last_t: float, fallback_fps: float) -> float:
    """Duration from the last frame's time plus one mean frame interval."""
    return last_t + (last_t / (frames - 1) if frames > 1 else 1.0 / fallback_fps)


def output_path(video: Path, output: Path | None, fmt: str, several: bool) -> Path | None:
    """Where one video's timeline goes: -o file (one video), -o folder, '-' (stdout), or ./<stem>.emotions.<fmt>."""
    if output is not None and str(output) == "-":
        return None
    if output is not None and (several or output.is_dir() or output.suffix == ""):
        return output / (video.stem + SUFFIX[fmt])
    return output or Path(video.stem + SUFFIX[fmt])


def run_one(
    video: Path,
    target: Path | None,
    fmt: str,
    plot: bool,
    model: Path | None,
    threads: int,
    max_fps: float | None = None,
    publisher: MqttPublisher | None = None,
) -> RunSummary:
    """Timeline of one video file into its outputs (and to the broker, with a publisher)."""
    started = time.perf_counter()
    info = probe_video(video)
    limiter = FrameRateLimiter(max_fps)
    options = PipelineOptions(classifier=ClassifierOptions(model, threads), mode="centred")
    with EmotionPipeline.create(options) as pipeline:
        meta = pipeline.metadata
        source = {
            "id": str(video.resolve()),
            "path": str(video),
            "width": info.width,
            "height": info.height,
            "nominal_fps": round(info.nominal_fps, 3),
            "frame_count": info.frame_count,
        }
        header = timeline_header(meta, meta.sha256, source, "centred", max_fps)
        sinks = make_sinks(fmt, target, plot)
        if publisher is not None:
            from edge_runtime.sinks.mqtt_sink import MqttSink  # ssl, sqlite3: only when used

            sinks.append(MqttSink(publisher))
        frames = read_video(video, limiter=limiter)
        footer = _drive(pipeline, frames, sinks, header, more_footer=lambda: skipped(limiter))
    tops = footer["top_counts"]
    return RunSummary(
        source=str(video),
        outputs=[str(target)] + ([str(target.with_suffix(".png"))] if plot and target else [])
        if target
        else ["-"],
        seconds=footer["seconds_total"],
        face_seconds=footer["seconds_with_face"],
        frames=footer["frames"],
        wall_s=time.perf_counter() - started,
        top=max(tops, key=tops.get) if tops else None,
    )


def _run_one_job(
    item: tuple[Path, Path | None],
    fmt: str,
    plot: bool,
    model: Path | None,
    threads: int,
    max_fps: float | None = None,
    publisher: MqttPublisher | None = None,
) -> RunSummary:
    return run_one(item[0], item[1], fmt, plot, model, threads, max_fps, publisher)


def run_videos(
    videos: list[Path],
    *,
    model: Path | None,
    output: Path | None,
    fmt: str,
    plot: bool,
    jobs: int | None,
    threads: int,
    overwrite: bool,
    quiet: bool,
    max_fps: float | None = None,
    publisher: MqttPublisher | None = None,
) -> int:
    """Timelines for files and folders; returns the exit code (0 all done, 1 some failed).

    With a publisher the videos run one after another in this process, so the whole
    command is one MQTT connection with one queue.
    """
    from rich.console import Console
    from rich.table import Table

    from edge_runtime.batch import run_batch

    console = Console(stderr=True, quiet=quiet, highlight=False)
    files = find_videos(videos)
    several = len(files) > 1
    if plot and output is not None and str(output) == "-":
        raise InputError("--plot needs an output file or folder, not stdout")
    targets = [(f, output_path(f, output, fmt, several)) for f in files]
    todo = [(f, t) for f, t in targets if overwrite or t is None or not t.exists()]
    skipped = len(targets) - len(todo)
    if skipped:
        console.print(
            f"skipping {skipped} video(s) whose output exists (use --overwrite to redo them)"
        )
    if not todo:
        return 0
    args = (fmt, plot, model, threads, max_fps) + ((publisher,) if publisher else ())
    if len(todo) == 1:
        video = todo[0][0]
        outcomes = run_batch(_run_one_job, todo, args, 1, f"{video.name}", quiet=True)
    else:
        if publisher and jobs not in (None, 1):
            console.print("--mqtt: videos run one at a time (one connection, one queue)")
        jobs = 1 if publisher else jobs
        outcomes = run_batch(_run_one_job, todo, args, jobs, "videos", quiet=quiet)
    failed = [o for o in outcomes if o.error]
    for outcome in failed:
        print(f"edge-emo: error: {outcome.error}", file=sys.stderr)
    done = [o.result for o in outcomes if not o.error]
    if done and not quiet:
        table = Table(title=None, show_edge=False)
        for column in ("video", "seconds", "with face", "most frequent", "fps", "output"):
            table.add_column(column)
        for r in done:
            table.add_row(
                Path(r.source).name, str(r.seconds), str(r.face_seconds), r.top or "-",
                f"{r.frames / r.wall_s:.0f}", ", ".join(r.outputs),
            )  # fmt: skip
        console.print(table)
        console.print(
            f"{len(done)} of {len(todo)} videos done"
            + (f", {len(failed)} failed" if failed else "")
        )
    if len(todo) == 1 and failed:
        return failed[0].exit_code  # one video: its own error's exit code
    return 1 if failed else 0


def run_camera(
    *,
    camera: int | None,
    camera_file: Path | None,
    model: Path | None,
    output: Path | None,
    fmt: str,
    show: bool,
    smoothing: float,
    seconds: float | None,
    threads: int,
    quiet: bool,
    max_fps: float | None = None,
    publisher: MqttPublisher | None = None,
) -> int:
    """Live timeline: one line per second until Ctrl-C/SIGTERM or --seconds; returns the exit code.

    Frames are read on their own thread and the newest is always the one analysed
    (sources/latest.py), so on a slow device the timeline stays current and the frames
    there was no time for are dropped, not queued.
    """
    opened = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    limiter = FrameRateLimiter(max_fps)
    if camera_file is not None:
        frames = read_video(camera_file, realtime=True, limiter=limiter)
        source = {
            "id": f"replay:{camera_file.resolve()}@{opened}",
            "camera": None,
            "replayed_file": str(camera_file),
        }
    else:
        frames = read_camera(camera, limiter=limiter)
        source = {"id": f"camera:{camera}@{opened}", "camera": camera}
    if seconds is not None:
        frames = _until(frames, seconds)
    alpha = smoothing if 0 < smoothing < 1 else None
    options = PipelineOptions(
        classifier=ClassifierOptions(model, threads), mode="causal", smoothing=alpha
    )
    with EmotionPipeline.create(options) as pipeline, LatestFrame(frames) as live:
        meta = pipeline.metadata
        header = timeline_header(meta, meta.sha256, source, "causal", max_fps)
        header["window"]["smoothing_alpha"] = alpha
        if output is None:
            sinks: list[Sink] = [] if quiet else [ConsoleSink()]
        else:
            sinks = make_sinks(fmt, output, plot=False, streaming=True)
            if not quiet and str(output) != "-":
                sinks.append(ConsoleSink())
        if publisher is not None:
            from edge_runtime.sinks.mqtt_sink import MqttSink  # ssl, sqlite3: only when used

            sinks.append(MqttSink(publisher))
        viewer = _Viewer(pipeline) if show else None
        lag = LagMeter(live, limiter)
        try:
            with cancel.stop_on_signals():
                _drive(pipeline, live, sinks, header, viewer, lag, lag.footer)
        except KeyboardInterrupt:
            print("edge-emo: stopped", file=sys.stderr)
        finally:
            if viewer:
                viewer.close()
    if not quiet:
        print(f"edge-emo: {lag.describe()}", file=sys.stderr)
    return 0


class LagMeter:
    """How far behind the source each live second is printed, and what became of the frames.

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

    def __call__(self, entry: SecondEntry) -> None:
        lag = max(self.live.lag_s(entry.t + 1), 0.0)
        self.seconds += 1
        self.total_s += lag
        self.max_s = max(self.max_s, lag)
        self.last_t = entry.t + 1

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


def _until(frames, seconds: float):
    for frame in frames:
        if frame.timestamp_s > seconds:
            return
        yield frame


class _Viewer:
    """`--show`: the frame with the 68 points and the latest probabilities as bars; q quits."""

    def __init__(self, pipeline: EmotionPipeline) -> None:
        import cv2

        self.cv2 = cv2
        self.pipeline = pipeline
        self.latest: dict[str, float] | None = None

    def __call__(self, frame: VideoFrame) -> None:
        cv2 = self.cv2
        image = frame.image.copy()
        observation = self.pipeline.last_observation
        if observation is not None:
            for x, y in observation.ibug68.astype(int):
                cv2.circle(image, (int(x), int(y)), 2, (0, 255, 0), -1)
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


__all__ = ["EdgeEmoError", "run_camera", "run_one", "run_videos"]
