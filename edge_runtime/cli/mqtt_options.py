"""The MQTT options `run` and `serve` share, and the publisher they open and close with them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

MQTT_PANEL = "Fleet (MQTT)"
DEFAULT_QUEUE_SIZE = 86_400  # = edge_runtime.mqtt.outbox.DEFAULT_MAX_MESSAGES (test_mqtt checks)

MqttUrl = Annotated[
    str | None,
    typer.Option(
        help="Also publish each second to mqtt\\[s]://\\[user@]host\\[:port]/PREFIX "
        "(password: $EDGE_EMO_MQTT_PASSWORD or --mqtt-password-file).",
        rich_help_panel=MQTT_PANEL,
    ),
]
DeviceId = Annotated[
    str | None,
    typer.Option(
        envvar="EDGE_EMO_DEVICE_ID",
        help="This device's name in topics (default: the host name).",
        rich_help_panel=MQTT_PANEL,
    ),
]
MqttPasswordFile = Annotated[
    Path | None,
    typer.Option(help="File whose first line is the password.", rich_help_panel=MQTT_PANEL),
]
MqttCa = Annotated[
    Path | None,
    typer.Option(
        help="mqtts: CA certificate(s) to trust (default: the system's).",
        rich_help_panel=MQTT_PANEL,
    ),
]
MqttCert = Annotated[
    Path | None,
    typer.Option(help="mqtts: client certificate.", rich_help_panel=MQTT_PANEL),
]
MqttKey = Annotated[
    Path | None,
    typer.Option(help="mqtts: client certificate's key.", rich_help_panel=MQTT_PANEL),
]
MqttQueue = Annotated[
    Path | None,
    typer.Option(
        help="On-disk queue for when the broker is unreachable "
        "(default: ~/.local/state/edge-emo/mqtt-DEVICE-….sqlite).",
        rich_help_panel=MQTT_PANEL,
    ),
]
MqttQueueSize = Annotated[
    int,
    typer.Option(
        min=1,
        help="Most entries the queue holds; when full the oldest are dropped (counted).",
        rich_help_panel=MQTT_PANEL,
    ),
]
HaDiscovery = Annotated[
    bool,
    typer.Option(
        help="Publish Home Assistant MQTT discovery config: the device appears as a sensor.",
        rich_help_panel=MQTT_PANEL,
    ),
]


def open_publisher(url, device_id, password_file, ca, cert, key, queue, queue_size, ha_discovery):
    """The MqttPublisher for --mqtt URL (None without it); connects in the background."""
    if url is None:
        return None
    from edge_runtime.mqtt.broker import TlsFiles
    from edge_runtime.mqtt.publisher import MqttPublisher, PublisherOptions

    options = PublisherOptions.from_url(
        url,
        device=device_id,
        password_file=password_file,
        tls=TlsFiles(ca, cert, key),
        queue=queue,
        queue_size=queue_size,
        ha_discovery=ha_discovery,
    )
    return MqttPublisher.create(options)


def close_publisher(publisher, quiet: bool) -> None:
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
