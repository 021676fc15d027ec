"""Fleet command: `listen` collects every device's seconds from an MQTT broker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edge_runtime.cli.app import app, handle_errors

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
