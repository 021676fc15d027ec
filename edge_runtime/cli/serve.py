"""Web command (`[serve]` extra): `edge-emo serve` shows a live run on a page, for headless devices."""

from __future__ import annotations

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
from edge_runtime.cli.runtime import MaxFaces
from edge_runtime.errors import DependencyError, InputError


def read_secret(path: Path, option: str) -> str:
    """The first line of a secret file, or InputError."""
    try:
        line = path.read_text(encoding="utf-8").splitlines()[:1]
    except OSError as exc:
        raise InputError(f"{path}: cannot read {option} ({exc.strerror})") from None
    if not line or not line[0].strip():
        raise InputError(f"{path}: {option} is empty")
    return line[0].strip()


WEB_PANEL = "Web page"


@app.command()
@handle_errors
def serve(
    camera: Annotated[
        int | None, typer.Option("--camera", "-c", help="Camera device number (e.g. 0).")
    ] = None,
    camera_file: Annotated[
        Path | None, typer.Option(help="Replay a video file at real-time pace instead.")
    ] = None,
    loop: Annotated[
        bool, typer.Option(help="With --camera-file: replay it over and over.")
    ] = False,
    host: Annotated[
        str,
        typer.Option(
            help="Address to listen on; anything but loopback needs an access token.",
            rich_help_panel=WEB_PANEL,
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            min=0, max=65535, help="0: any free port (printed).", rich_help_panel=WEB_PANEL
        ),
    ] = 8080,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="EDGE_EMO_TOKEN",
            help="Access token (12+ characters; default on a non-loopback address: generated "
            "and printed once).",
            rich_help_panel=WEB_PANEL,
        ),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option(
            help="Read the access token from this file's first line.", rich_help_panel=WEB_PANEL
        ),
    ] = None,
    tls_cert: Annotated[
        Path | None,
        typer.Option(help="Serve HTTPS with this certificate.", rich_help_panel=WEB_PANEL),
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(help="The certificate's private key.", rich_help_panel=WEB_PANEL)
    ] = None,
    timelines: Annotated[
        Path | None,
        typer.Option(
            help="Folder of finished timelines the page lists and draws.", rich_help_panel=WEB_PANEL
        ),
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", "-m", help="A .tflite model with its .json sidecar.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also append the timeline to this file.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl or csv.")] = "jsonl",
    smoothing: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Smoothing alpha (1 = none).")
    ] = 0.5,
    seconds: Annotated[float | None, typer.Option(help="Stop after this many seconds.")] = None,
    max_fps: Annotated[
        float | None, typer.Option(min=0.5, help="Analyse at most this many frames per second.")
    ] = None,
    threads: Annotated[int, typer.Option(help="Interpreter threads.")] = 1,
    max_faces: MaxFaces = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No line per second.")] = False,
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
    """Run live and serve a page: the frame with the face, the 7 probabilities, the last minutes."""
    try:
        import aiohttp  # noqa: F401 - the [serve] extra; web.app imports it only when serving

        from edge_runtime.web.app import ServeOptions
        from edge_runtime.web.app import serve as run_server
    except ImportError as exc:
        raise DependencyError(
            f"edge-emo serve needs the [serve] extra ({exc.name} is missing): "
            "pip install 'edge-emo[serve]'"
        ) from None
    from edge_runtime import cancel
    from edge_runtime.live import LiveOptions
    from edge_runtime.run import live_sinks

    if (camera is None) == (camera_file is None):
        raise InputError("give --camera N or --camera-file FILE")
    if loop and camera_file is None:
        raise InputError("--loop replays --camera-file")
    if fmt not in ("jsonl", "csv"):
        raise InputError("--format: jsonl or csv (a live timeline grows line by line)")
    if token_file is not None:
        token = read_secret(token_file, "--token-file")
    live = LiveOptions(camera=camera, camera_file=camera_file, loop=loop, seconds=seconds,
                       max_fps=max_fps, model=model, threads=threads, smoothing=smoothing,
                       max_faces=max_faces)  # fmt: skip
    options = ServeOptions(live, host=host, port=port, token=token, tls_cert=tls_cert,
                           tls_key=tls_key, timelines=timelines)  # fmt: skip
    publisher = None
    code = 0
    try:
        with cancel.stop_on_signals(raise_at_exit=False):
            if not quiet:  # on a Pi, loading takes seconds: say something at once
                typer.echo("edge-emo: starting (loading MediaPipe and the model)", err=True)
            publisher = open_publisher(mqtt, device_id, mqtt_password_file, mqtt_ca, mqtt_cert,
                                       mqtt_key, mqtt_queue, mqtt_queue_size, ha_discovery)  # fmt: skip
            if not cancel.stop_requested():
                code = run_server(options, live_sinks(output, fmt, quiet, publisher), quiet)
    finally:
        if publisher is not None:
            close_publisher(publisher, quiet)
    raise typer.Exit(code)
