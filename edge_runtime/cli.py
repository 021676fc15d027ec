"""`edge-emo`: one command line for extraction, training, conversion, inference and benchmarks.

The runtime commands (`extract`, `run`, `benchmark`, `info`) need only the base install;
`synth`, `train`, `evaluate` and `convert` come from the `[train]` extra and are imported
only when called, so the edge runtime never loads TensorFlow.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from edge_runtime import __version__
from edge_runtime.errors import EXIT_CODES, DependencyError, EdgeEmoError, InputError

app = typer.Typer(
    name="edge-emo",
    help="Facial emotion over time from face landmarks, on desktops and Raspberry Pis, offline.",
    add_completion=False,
    no_args_is_help=True,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    epilog="Exit codes: " + "; ".join(f"{k} {v}" for k, v in EXIT_CODES.items()),
)
_state = {"debug": False}


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error to stderr; return the Exit to raise."""
    typer.echo(f"edge-emo: error: {message}", err=True)
    return typer.Exit(code)


def handle_errors(func):
    """Turn our errors into one line and an exit code; tracebacks only with --debug."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except EdgeEmoError as exc:
            if _state["debug"]:
                raise
            raise fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("edge-emo: interrupted", err=True)
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if _state["debug"]:
                raise
            raise fail(
                f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)", 1
            ) from None

    return wrapper


def _train_module(name: str):
    """Import a module of the [train] extra, or explain how to install it."""
    import importlib

    from edge_runtime._quiet import native_stderr_silenced

    try:
        with native_stderr_silenced():  # TensorFlow's absl lines on import go to fd 2
            return importlib.import_module(f"edge_emo.{name}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in {"tensorflow", "keras"}:
            raise DependencyError(
                f"this command needs TensorFlow: pip install 'edge-emo[train]' ({exc.name} is missing)"
            ) from None
        raise


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        typer.echo(f"edge-emo {__version__}")
        raise typer.Exit(0)
    _state["debug"] = debug
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )


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


MQTT_PANEL = "Fleet (MQTT)"
DEFAULT_QUEUE_SIZE = 86_400  # = edge_runtime.mqtt.outbox.DEFAULT_MAX_MESSAGES (test_mqtt checks)


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
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")
    ] = False,
    mqtt: Annotated[
        str | None,
        typer.Option(
            help="Also publish each second to mqtt\\[s]://\\[user@]host\\[:port]/PREFIX "
            "(password: $EDGE_EMO_MQTT_PASSWORD or --mqtt-password-file).",
            rich_help_panel=MQTT_PANEL,
        ),
    ] = None,
    device_id: Annotated[
        str | None,
        typer.Option(
            envvar="EDGE_EMO_DEVICE_ID",
            help="This device's name in topics (default: the host name).",
            rich_help_panel=MQTT_PANEL,
        ),
    ] = None,
    mqtt_password_file: Annotated[
        Path | None,
        typer.Option(help="File whose first line is the password.", rich_help_panel=MQTT_PANEL),
    ] = None,
    mqtt_ca: Annotated[
        Path | None,
        typer.Option(
            help="mqtts: CA certificate(s) to trust (default: the system's).",
            rich_help_panel=MQTT_PANEL,
        ),
    ] = None,
    mqtt_cert: Annotated[
        Path | None,
        typer.Option(help="mqtts: client certificate.", rich_help_panel=MQTT_PANEL),
    ] = None,
    mqtt_key: Annotated[
        Path | None,
        typer.Option(help="mqtts: client certificate's key.", rich_help_panel=MQTT_PANEL),
    ] = None,
    mqtt_queue: Annotated[
        Path | None,
        typer.Option(
            help="On-disk queue for when the broker is unreachable "
            "(default: ~/.local/state/edge-emo/mqtt-DEVICE-….sqlite).",
            rich_help_panel=MQTT_PANEL,
        ),
    ] = None,
    mqtt_queue_size: Annotated[
        int,
        typer.Option(
            min=1,
            help="Most entries the queue holds; when full the oldest are dropped (counted).",
            rich_help_panel=MQTT_PANEL,
        ),
    ] = DEFAULT_QUEUE_SIZE,
    ha_discovery: Annotated[
        bool,
        typer.Option(
            help="Publish Home Assistant MQTT discovery config: the device appears as a sensor.",
            rich_help_panel=MQTT_PANEL,
        ),
    ] = False,
) -> None:
    """Per-second emotion timeline for videos, or live from a camera."""
    from edge_runtime import run as runner

    publisher = None
    if mqtt is not None:
        from edge_runtime.mqtt.broker import TlsFiles
        from edge_runtime.mqtt.publisher import MqttPublisher, PublisherOptions

        options = PublisherOptions.from_url(
            mqtt,
            device=device_id,
            password_file=mqtt_password_file,
            tls=TlsFiles(mqtt_ca, mqtt_cert, mqtt_key),
            queue=mqtt_queue,
            queue_size=mqtt_queue_size,
            ha_discovery=ha_discovery,
        )
        publisher = MqttPublisher.create(options)
    try:
        code = _run(runner, videos, camera, camera_file, model, output, fmt, plot, jobs,
                    threads, overwrite, show, smoothing, seconds, quiet, publisher)  # fmt: skip
    finally:
        if publisher is not None:
            _close_publisher(publisher, quiet)
    raise typer.Exit(code)


def _close_publisher(publisher, quiet: bool) -> None:
    """Deliver what is queued (up to 10 s), then say what was sent and what waits on disk."""
    left = publisher.close(flush_timeout_s=10.0)
    where = publisher.options.connection.address
    if not quiet:
        typer.echo(f"edge-emo: mqtt: {publisher.delivered} entries delivered to {where}", err=True)
    if left:
        typer.echo(
            f"edge-emo: mqtt: {left} entries stay queued in {publisher.outbox.path}; "
            "the next run with this device id and broker sends them",
            err=True,
        )
    if publisher.dropped:
        typer.echo(
            f"edge-emo: mqtt: {publisher.dropped} entries were dropped because the queue was full",
            err=True,
        )


def _run(runner, videos, camera, camera_file, model, output, fmt, plot, jobs, threads,
         overwrite, show, smoothing, seconds, quiet, publisher) -> int:  # fmt: skip
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
        publisher=publisher,
    )


# --------------------------------------------------------------------------- listen


@app.command()
@handle_errors
def listen(
    url: Annotated[
        str,
        typer.Argument(help="mqtt\\[s]://\\[user@]host\\[:port]/PREFIX, as given to run --mqtt."),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="JSON Lines file to append to (default: stdout)."),
    ] = None,
    client_id: Annotated[
        str | None,
        typer.Option(
            help="Session name at the broker; the broker keeps messages for it while this "
            "consumer is away. One per consumer (default: edge-emo-listen-HOSTNAME)."
        ),
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option(help="File whose first line is the password (or $EDGE_EMO_MQTT_PASSWORD)."),
    ] = None,
    ca: Annotated[Path | None, typer.Option(help="mqtts: CA certificate(s) to trust.")] = None,
    cert: Annotated[Path | None, typer.Option(help="mqtts: client certificate.")] = None,
    key: Annotated[Path | None, typer.Option(help="mqtts: client certificate's key.")] = None,
    seconds: Annotated[
        float | None, typer.Option(min=0, help="Stop after this many seconds.")
    ] = None,
    count: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many new entries.")
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No live per-device summary.")
    ] = False,
) -> None:
    """Collect every device's seconds from a broker into one de-duplicated JSON Lines stream."""
    from edge_runtime.mqtt.broker import (
        BrokerAddress,
        ConnectionOptions,
        TlsFiles,
        check_topic_part,
        device_id_default,
        read_password,
    )
    from edge_runtime.mqtt.listen import ListenOptions
    from edge_runtime.mqtt.listen import listen as run_listener

    address = BrokerAddress.from_url(url)
    connection = ConnectionOptions(
        address=address,
        client_id=check_topic_part(
            client_id or f"edge-emo-listen-{device_id_default()}", "client id"
        ),
        password=read_password(password_file),
        tls=TlsFiles(ca, cert, key),
    )
    totals = run_listener(
        ListenOptions(connection, output=output, seconds=seconds, count=count), quiet=quiet
    )
    if not quiet:
        typer.echo(
            f"edge-emo: listen: {totals['written']} entries from {totals['devices']} devices "
            f"written, {totals['duplicates']} duplicates skipped"
            + (
                f", {totals['malformed']} malformed messages ignored" if totals["malformed"] else ""
            ),
            err=True,
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


# --------------------------------------------------------------------------- training side


class CalmPolicy(str, Enum):
    drop = "drop"
    neutral = "neutral"


@app.command()
@handle_errors
def synth(
    out_dir: Annotated[Path, typer.Argument(help="Folder for the generated RAVDESS-format CSVs.")],
    actors: Annotated[int, typer.Option(min=2, max=99)] = 24,
    seed: Annotated[int, typer.Option()] = 0,
    repetitions: Annotated[
        int, typer.Option(min=1, max=9, help="Repetitions per statement, emotion and intensity.")
    ] = 2,
) -> None:
    """Generate synthetic FACS-prototype landmark clips (for tests and demos, not real faces)."""
    synth_mod = _train_module("train.synth")
    n = synth_mod.write_dataset(out_dir, actors=actors, seed=seed, repetitions=repetitions)
    typer.echo(
        f"{out_dir}: {n} synthetic clips from {actors} actors (SYNTHETIC data, not real faces)"
    )


@app.command()
@handle_errors
def train(
    data_dir: Annotated[
        Path, typer.Argument(help="RAVDESS landmark CSVs, or CSVs with a labels.csv.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write model.keras (+ .json).")
    ] = Path("model.keras"),
    calm: Annotated[
        CalmPolicy, typer.Option(help="RAVDESS 'calm': drop it (default) or count it as neutral.")
    ] = CalmPolicy.drop,
    epochs: Annotated[int, typer.Option(min=1)] = 40,
    seed: Annotated[int, typer.Option()] = 42,
    val_subjects: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated subjects (or patterns such as 'fer-PublicTest-*') for "
            "validation (default: every 5th from the 5th)."
        ),
    ] = None,
    test_subjects: Annotated[
        str | None,
        typer.Option(
            help="Subjects or patterns held out for the final test (default: every 5th from the 3rd)."
        ),
    ] = None,
    roll: Annotated[
        bool, typer.Option(help="Normalise head roll: rotate each frame so the eyes are level.")
    ] = False,
    augment: Annotated[
        bool,
        typer.Option(help="Tracker-like augmentation: jitter, roll, scale, dropped frames."),
    ] = True,
    talk: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of windows that also get speech-like mouth motion and blinks.",
        ),
    ] = 0.0,
    clips_per_epoch: Annotated[
        int,
        typer.Option(
            min=0, help="Train each epoch on a random sample of this many clips (0 = all)."
        ),
    ] = 0,
    crops_per_clip: Annotated[
        int, typer.Option(min=1, help="Random windows per clip and epoch.")
    ] = 2,
    batch_size: Annotated[int, typer.Option(min=1)] = 32,
    class_balance: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Weigh samples by (1/class frequency) ** this (0 = off, 1 = equal).",
        ),
    ] = 1.0,
    folds: Annotated[
        int, typer.Option(min=0, help="k-fold by subject (report only; 0 = hold-out).")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Train the Conv1D+BiLSTM classifier with a subject-independent validation split.

    Learns from human labels and from a teacher's soft labels (`edge-emo label`) alike.
    """
    trainer = _train_module("train.trainer")
    config_module = _train_module("train.config")
    augment_module = _train_module("train.augment")
    from edge_runtime.normalise import NormalisationSpec

    config = config_module.TrainConfig(
        augment=augment_module.AugmentOptions(talk_prob=talk)
        if augment
        else augment_module.NO_AUGMENT,
        clips_per_epoch=clips_per_epoch,
        crops_per_clip=crops_per_clip,
        batch_size=batch_size,
        class_balance=class_balance,
    )
    trainer.train_command(
        data_dir,
        output,
        calm=calm.value,
        epochs=epochs,
        seed=seed,
        val_subjects=val_subjects,
        test_subjects=test_subjects,
        folds=folds,
        quiet=quiet,
        config=config,
        spec=NormalisationSpec(roll=roll),
    )


@app.command()
@handle_errors
def label(
    videos: Annotated[list[Path], typer.Argument(help="Real face videos, or folders of them.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Training-data folder to write or extend.")
    ],
    teacher: Annotated[
        Path | None,
        typer.Option(
            help="Image emotion teacher (.tflite/.onnx with a .json config beside it; "
            "default: the bundled FER2013 mini-Xception)."
        ),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(help="The person in these videos (default: each video is its own person)."),
    ] = None,
) -> None:
    """Label real face video with a frame-level teacher: landmark CSVs + soft labels for `train`."""
    labeller = _train_module("train.label")
    labeller.label_command(videos, output, teacher_path=teacher, subject=subject)


@app.command()
@handle_errors
def evaluate(
    model: Annotated[Path, typer.Argument(help="A model.keras or .tflite with its sidecar.")],
    data_dir: Annotated[Path, typer.Argument(help="Labelled landmark CSVs.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Report folder (default: <model>-report/)."),
    ] = None,
    calm: Annotated[CalmPolicy, typer.Option()] = CalmPolicy.drop,
    subjects: Annotated[
        str | None,
        typer.Option(
            help="Evaluate only these subjects (default: the model's validation subjects, if recorded)."
        ),
    ] = None,
) -> None:
    """Accuracy, macro-F1, per-class figures and a confusion matrix on labelled CSVs."""
    evaluator = _train_module("train.evaluate")
    evaluator.evaluate_command(model, data_dir, output, calm=calm.value, subjects=subjects)


class Quant(str, Enum):
    int8 = "int8"
    dynamic = "dynamic"
    fp16 = "fp16"
    float32 = "float32"


@app.command()
@handle_errors
def convert(
    model: Annotated[Path, typer.Argument(help="A trained model.keras with its .json sidecar.")],
    data: Annotated[
        Path,
        typer.Option(
            "--data", "-d", help="The training CSVs: representative windows come from here."
        ),
    ],
    quant: Annotated[Quant, typer.Option(help="Quantisation.")] = Quant.int8,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Output .tflite (default: beside the model)."),
    ] = None,
    min_agreement: Annotated[
        float, typer.Option(help="Gate: top-1 agreement with the float model, in %.")
    ] = 97.0,
    max_drop: Annotated[
        float, typer.Option(help="Gate: largest accuracy drop allowed, in points.")
    ] = 1.5,
    calm: Annotated[CalmPolicy, typer.Option()] = CalmPolicy.drop,
) -> None:
    """Convert a Keras model to TFLite (int8 by default) behind op, agreement and accuracy gates."""
    converter = _train_module("convert.converter")
    converter.convert_command(
        model,
        data,
        quant=quant.value,
        output=output,
        min_agreement=min_agreement,
        max_drop=max_drop,
        calm=calm.value,
    )


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("GLOG_minloglevel", "2")
    app(prog_name="edge-emo")


if __name__ == "__main__":
    sys.exit(main())
