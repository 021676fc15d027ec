"""Runtime commands (base install): `info`, `extract`, `run`, `benchmark`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from edge_runtime.cli.app import app, handle_errors
from edge_runtime.cli.mqtt_options import (
    DEFAULT_QUEUE_SIZE,
    DeviceId,
    HaDiscovery,
    MqttCa,
    MqttCert,
    MqttKey,
    MqttPasswordFile,
    MqttQueue,
    MqttQueueSize,
    MqttUrl,
    close_publisher,
    open_publisher,
)
from edge_runtime.errors import InputError

MaxFaces = Annotated[
    int,
    typer.Option(
        min=1,
        max=16,
        help="Follow up to N faces, each with its own timeline and a stable id (1: the "
        "largest face only, schema_version 1 output).",
    ),
]

# --------------------------------------------------------------------------- info


@app.command()
@handle_errors
def info() -> None:
    """Print versions, the interpreter backend and the models found with their metadata."""
    from edge_runtime.info import print_info

    print_info()


# --------------------------------------------------------------------------- extract


@app.command()
@handle_errors
def extract(
    videos: Annotated[list[Path], typer.Argument(help="Video files or folders of videos.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="CSV file (one video) or folder (several). Default: ./<name>.csv or ./landmarks/",
        ),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Worker processes (default: all cores).")
    ] = 0,
    max_faces: Annotated[int, typer.Option(help="Faces to detect; the largest is followed.")] = 1,
    min_detection_confidence: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.5,
    min_presence_confidence: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.5,
    image_mode: Annotated[
        bool, typer.Option(help="Detect each frame anew (slower; for unordered frames).")
    ] = False,
) -> None:
    """Turn videos into landmark CSVs in the RAVDESS/OpenFace layout (one row per frame)."""
    from edge_runtime.batch import run_batch
    from edge_runtime.extract import extract_to_csv, find_videos
    from edge_runtime.face_landmarks import FaceLandmarkerOptions, RunningMode

    options = FaceLandmarkerOptions(
        running_mode=RunningMode.IMAGE if image_mode else RunningMode.VIDEO,
        max_faces=max_faces,
        min_detection_confidence=min_detection_confidence,
        min_presence_confidence=min_presence_confidence,
    )
    files = find_videos(videos)
    if len(files) == 1 and not (output and output.is_dir()) and not any(v.is_dir() for v in videos):
        target = output or Path(files[0].stem + ".csv")
        result = extract_to_csv(files[0], target, options)
        _report_extract(result)
        return
    folder = output or Path("landmarks")
    targets = [(f, folder / (f.stem + ".csv")) for f in files]
    outcomes = run_batch(_extract_one, targets, (options,), jobs or None, "extracting")
    failed = [o for o in outcomes if o.error]
    for outcome in outcomes:
        if outcome.error:
            typer.echo(f"edge-emo: error: {outcome.error}", err=True)
        else:
            _report_extract(outcome.result)
    typer.echo(f"{len(outcomes) - len(failed)} of {len(outcomes)} videos extracted to {folder}/")
    if failed:
        raise typer.Exit(1)


def _extract_one(target, options):
    from edge_runtime.extract import extract_to_csv

    return extract_to_csv(target[0], target[1], options)


def _report_extract(result) -> None:
    note = "" if result.face_frames else "  (no face found in any frame: all rows have success=0)"
    typer.echo(f"{result.output}: {result.frames} frames, {result.face_frames} with a face{note}")


# --------------------------------------------------------------------------- run


class OutputFormat(str, Enum):
    json = "json"
    csv = "csv"
    jsonl = "jsonl"


@app.command()
@handle_errors
def run(
    videos: Annotated[
        list[Path] | None, typer.Argument(help="Video files or folders of videos.")
    ] = None,
    camera: Annotated[
        int | None, typer.Option("--camera", "-c", help="Camera device number (e.g. 0).")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            "-m",
            help="A .tflite model with its .json sidecar (default: the bundled one).",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Output file (one input) or folder (several). '-' = stdout."
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Timeline format.")
    ] = OutputFormat.json,
    plot: Annotated[
        bool, typer.Option("--plot", help="Also write a timeline PNG beside each output.")
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", "-j", help="Worker processes for several videos (default: all cores)."
        ),
    ] = 0,
    threads: Annotated[int, typer.Option(help="Interpreter threads per process.")] = 1,
    overwrite: Annotated[
        bool, typer.Option(help="Redo videos whose output already exists.")
    ] = False,
    show: Annotated[
        bool, typer.Option(help="Camera: show a window with the face mesh and probability bars.")
    ] = False,
    smoothing: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Camera: smoothing alpha (1 = none).")
    ] = 0.5,
    seconds: Annotated[
        float | None, typer.Option(help="Camera: stop after this many seconds.")
    ] = None,
    camera_file: Annotated[
        Path | None,
        typer.Option(
            help="Feed a video file through the camera path at real-time pace (testing).",
            hidden=False,
        ),
    ] = None,
    max_fps: Annotated[
        float | None,
        typer.Option(
            min=0.5,
            help="Analyse at most this many frames per second (slow devices; the rest are "
            "interpolated).",
        ),
    ] = None,
    max_faces: MaxFaces = 1,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")
    ] = False,
    mqtt: MqttUrl = None,
    device_id: DeviceId = None,
    mqtt_password_file: MqttPasswordFile = None,
    mqtt_ca: MqttCa = None,
    mqtt_cert: MqttCert = None,
    mqtt_key: MqttKey = None,
    mqtt_queue: MqttQueue = None,
    mqtt_queue_size: MqttQueueSize = DEFAULT_QUEUE_SIZE,
    ha_discovery: HaDiscovery = False,
) -> None:
    """Per-second emotion timeline for videos, or live from a camera."""
    from edge_runtime import cancel
    from edge_runtime import run as runner

    publisher = None
    try:
        # From here on Ctrl-C/SIGTERM only ask for a stop (cancel.py), also while the broker
        # connection is being made: the job then stops at its first frame, as it would later.
        with cancel.stop_on_signals(raise_at_exit=False):
            publisher = open_publisher(mqtt, device_id, mqtt_password_file, mqtt_ca, mqtt_cert,
                                       mqtt_key, mqtt_queue, mqtt_queue_size, ha_discovery)  # fmt: skip
            code = _run(runner, videos, camera, camera_file, model, output, fmt, plot, jobs,
                        threads, overwrite, show, smoothing, seconds, quiet, max_fps,
                        max_faces, publisher)  # fmt: skip
    finally:
        if publisher is not None:
            close_publisher(publisher, quiet)
    raise typer.Exit(code)


def _run(runner, videos, camera, camera_file, model, output, fmt, plot, jobs, threads,
         overwrite, show, smoothing, seconds, quiet, max_fps, max_faces,
         publisher) -> int:  # fmt: skip
    if camera is not None or camera_file is not None:
        if videos:
            raise InputError("give either videos or --camera, not both")
        return runner.run_camera(
            camera=camera,
            camera_file=camera_file,
            model=model,
            output=output,
            fmt=fmt.value,
            show=show,
            smoothing=smoothing,
            seconds=seconds,
            threads=threads,
            quiet=quiet,
            max_fps=max_fps,
            max_faces=max_faces,
            publisher=publisher,
        )
    if not videos:
        raise InputError("give one or more videos, a folder, or --camera N")
    return runner.run_videos(
        videos,
        model=model,
        output=output,
        fmt=fmt.value,
        plot=plot,
        jobs=jobs or None,
        threads=threads,
        overwrite=overwrite,
        quiet=quiet,
        max_fps=max_fps,
        max_faces=max_faces,
        publisher=publisher,
    )


# --------------------------------------------------------------------------- benchmark


@app.command()
@handle_errors
def benchmark(
    model: Annotated[
        list[Path] | None,
        typer.Option("--model", "-m", help="TFLite models to time (default: the bundled one)."),
    ] = None,
    keras_model: Annotated[
        Path | None,
        typer.Option("--keras", help="The float .keras model, for Keras and seed-style figures."),
    ] = None,
    clip: Annotated[
        Path | None,
        typer.Option(help="A video with a face: adds pipeline, seed-style and start-up figures."),
    ] = None,
    threads: Annotated[
        str, typer.Option(help="Comma-separated interpreter thread counts.")
    ] = "1,2,4",
    iterations: Annotated[int, typer.Option(min=1)] = 300,
    sizes: Annotated[str, typer.Option(help="Pipeline frame sizes.")] = "640x480,1280x720",
    memory_minutes: Annotated[
        float, typer.Option(help="Also compare peak RSS of a 10 s and an N-minute video (0: off).")
    ] = 0.0,
    quick: Annotated[bool, typer.Option(help="A smoke run in seconds.")] = False,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Also write results and the machine description here."),
    ] = None,
) -> None:
    """Latency side by side: model (LiteRT, Keras), pipeline per stage, start-up, memory, size."""
    from edge_emo.benchmarks.report import BenchmarkOptions, print_report, run_benchmark, write_json
    from edge_runtime.assets import default_model_path

    for path in [*(model or []), keras_model, clip]:
        if path is not None and not path.is_file():
            raise InputError(f"{path}: no such file")
    kwargs = dict(models=list(model or [default_model_path()]), keras=keras_model, clip=clip)
    if quick:
        options = BenchmarkOptions.quick_mode(**kwargs)
    else:
        try:
            thread_counts = [int(x) for x in threads.split(",") if x.strip()]
        except ValueError:
            raise InputError(f"--threads {threads!r}: expected numbers such as 1,2,4") from None
        options = BenchmarkOptions(
            **kwargs,
            threads=thread_counts,
            iterations=iterations,
            sizes=[x.strip() for x in sizes.split(",") if x.strip()],
            memory_minutes=memory_minutes,
        )
    result = run_benchmark(options, log=lambda text: typer.echo(text, err=True))
    print_report(result)
    if json_out:
        write_json(result, json_out)
        typer.echo(f"wrote {json_out}", err=True)
