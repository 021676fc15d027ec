"""`edge-emo run`: videos or a camera (live.py) -> per-second emotion timelines in the chosen sinks.

Files use centred windows (each second averages every window that covers it; a window is
as long as the model says, 1 s for the default); cameras are causal (each second is the
window ending with it) and smoothed. Many videos run in a
process pool; one bad file is reported and skipped. Outputs appear atomically, and a
video whose output already exists is skipped unless --overwrite.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from edge_runtime import cancel
from edge_runtime.drive import drive, faces_header, skipped, timeline_header
from edge_runtime.errors import EdgeEmoError, InputError
from edge_runtime.extract import find_videos
from edge_runtime.face_landmarks import FaceLandmarkerOptions
from edge_runtime.live import LiveOptions, LiveSession, Viewer
from edge_runtime.model.classifier import ClassifierOptions
from edge_runtime.pipeline import EmotionPipeline, PipelineOptions
from edge_runtime.sinks import ConsoleSink, Sink, make_sinks
from edge_runtime.sources.rate import FrameRateLimiter
from edge_runtime.sources.video import probe_video, read_video

if TYPE_CHECKING:
    from edge_runtime.mqtt.publisher import MqttPublisher

SUFFIX = {"json": ".emotions.json", "jsonl": ".emotions.jsonl", "csv": ".emotions.csv"}


@dataclass(frozen=True)
class RunSummary:
    source: str
    people: int | None  # tracks reported, with --max-faces > 1
    outputs: list[str]
    seconds: int
    face_seconds: int
    frames: int
    wall_s: float
    top: str | None


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
    max_faces: int = 1,
) -> RunSummary:
    """Timeline of one video file into its outputs (and to the broker, with a publisher)."""
    started = time.perf_counter()
    info = probe_video(video)
    limiter = FrameRateLimiter(max_fps)
    options = PipelineOptions(
        classifier=ClassifierOptions(model, threads),
        face=FaceLandmarkerOptions(max_faces=max_faces),
        mode="centred",
    )
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
        header = timeline_header(
            meta, meta.sha256, source, "centred", max_fps, faces_header(options)
        )
        sinks = make_sinks(fmt, target, plot)
        if publisher is not None:
            from edge_runtime.sinks.mqtt_sink import MqttSink  # ssl, sqlite3: only when used

            sinks.append(MqttSink(publisher))
        frames = read_video(video, limiter=limiter)
        footer = drive(pipeline, frames, sinks, header, more_footer=lambda: skipped(limiter))
    tops = footer["top_counts"]
    return RunSummary(
        source=str(video),
        people=len(footer["tracks"]) if "tracks" in footer else None,
        outputs=[str(target)] + ([str(target.with_suffix(".png"))] if plot and target else [])
        if target
        else ["-"],
        seconds=footer["seconds_total"],
        face_seconds=footer.get("seconds_with_face", footer.get("track_seconds_with_face")),
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
    max_fps: float | None,
    max_faces: int,
    publisher: MqttPublisher | None = None,
) -> RunSummary:
    return run_one(item[0], item[1], fmt, plot, model, threads, max_fps, publisher, max_faces)


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
    max_faces: int = 1,
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
    args = (fmt, plot, model, threads, max_fps, max_faces) + ((publisher,) if publisher else ())
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
        people = max_faces > 1
        columns = ("video", "seconds", *(("people",) if people else ()),
                   "person-seconds with face" if people else "with face",
                   "most frequent", "fps", "output")  # fmt: skip
        for column in columns:
            table.add_column(column)
        for r in done:
            table.add_row(
                Path(r.source).name, str(r.seconds), *((str(r.people),) if people else ()),
                str(r.face_seconds), r.top or "-", f"{r.frames / r.wall_s:.0f}",
                ", ".join(r.outputs),
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
    max_faces: int = 1,
) -> int:
    """Live timeline: one line per second until Ctrl-C/SIGTERM or --seconds; returns the exit code."""
    options = LiveOptions(camera=camera, camera_file=camera_file, seconds=seconds, max_fps=max_fps,
                          model=model, threads=threads, smoothing=smoothing,
                          max_faces=max_faces)  # fmt: skip
    with LiveSession.create(options) as session:
        sinks = live_sinks(output, fmt, quiet, publisher)
        viewer = Viewer(session.pipeline) if show else None
        try:
            with cancel.stop_on_signals():
                session.drive(sinks, on_frame=viewer)
        except KeyboardInterrupt:
            print("edge-emo: stopped", file=sys.stderr)
        finally:
            if viewer:
                viewer.close()
    if not quiet:
        print(f"edge-emo: {session.lag.describe()}", file=sys.stderr)
    return 0


def live_sinks(
    output: Path | None, fmt: str, quiet: bool, publisher: MqttPublisher | None
) -> list[Sink]:
    """A live run's outputs: the terminal line per second, a streaming file, the broker."""
    if output is None:
        sinks: list[Sink] = [] if quiet else [ConsoleSink()]
    else:
        sinks = make_sinks(fmt, output, plot=False, streaming=True)
        if not quiet and str(output) != "-":
            sinks.append(ConsoleSink())
    if publisher is not None:
        from edge_runtime.sinks.mqtt_sink import MqttSink  # ssl, sqlite3: only when used

        sinks.append(MqttSink(publisher))
    return sinks


__all__ = ["EdgeEmoError", "run_camera", "run_one", "run_videos"]
