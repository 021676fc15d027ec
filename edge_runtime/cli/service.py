"""Service commands: `edge-emo service unit|install -- run --camera 0 ...` for systemd."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from edge_runtime.cli.app import app, handle_errors

service_app = typer.Typer(
    help="Start edge-emo on boot as a systemd service (restarts after a crash, logs to the journal).",
    no_args_is_help=True,
)
app.add_typer(service_app, name="service")

CommandArg = Annotated[
    list[str],
    typer.Argument(
        help="The edge-emo command the service runs, after --: e.g. "
        "-- run --camera 0 --mqtt mqtt://pi@broker.lan/site1 --device-id kitchen",
        show_default=False,
    ),
]
NameOpt = Annotated[str, typer.Option(help="Unit name (NAME.service; state in /var/lib/NAME).")]
UserOpt = Annotated[
    str | None,
    typer.Option(
        help="Run as this existing account (default: a user of its own, in the video group)."
    ),
]
PasswordOpt = Annotated[
    Path | None,
    typer.Option(
        help="MQTT password file (absolute path, e.g. /etc/edge-emo/mqtt-password, mode 600); "
        "systemd hands it to the process as a credential.",
    ),
]
TokenOpt = Annotated[
    Path | None,
    typer.Option(
        help="serve: access token file (absolute path, mode 600), handed over as a credential."
    ),
]
ExecutableOpt = Annotated[
    Path | None,
    typer.Option(help="The edge-emo script to run (default: the one running this command)."),
]


def _options(command, name, user, password_file, token_file, executable):
    try:
        from click import ClickException
    except ImportError:  # typer >= 0.2x carries its own copy of click
        from typer._click import ClickException

    from edge_runtime.errors import InputError
    from edge_runtime.service import ServiceOptions, check_service

    options = ServiceOptions(
        executable=(executable or _this_executable()).absolute(),
        command=tuple(command),
        name=name,
        user=user,
        password_file=password_file.absolute() if password_file else None,
        token_file=token_file.absolute() if token_file else None,
    )
    check_service(options)
    # The unit must start: parse its command with the real parser now, not at boot.
    group = typer.main.get_command(app)
    try:
        group.commands[options.command[0]].make_context(options.command[0], list(command[1:]))
    except ClickException as exc:
        raise InputError(f"the service's command does not parse: {exc.format_message()}") from None
    return options


def _this_executable() -> Path:
    script = Path(sys.executable).with_name("edge-emo")
    return script if script.exists() else Path(sys.argv[0]).resolve()


@service_app.command("unit")
@handle_errors
def unit(
    command: CommandArg,
    name: NameOpt = "edge-emo",
    user: UserOpt = None,
    password_file: PasswordOpt = None,
    token_file: TokenOpt = None,
    executable: ExecutableOpt = None,
) -> None:
    """Print the systemd unit for COMMAND (to review it, or to install it by hand)."""
    from edge_runtime import __version__
    from edge_runtime.service import make_unit

    options = _options(command, name, user, password_file, token_file, executable)
    typer.echo(make_unit(options, __version__), nl=False)


@service_app.command("install")
@handle_errors
def install(
    command: CommandArg,
    name: NameOpt = "edge-emo",
    user: UserOpt = None,
    password_file: PasswordOpt = None,
    token_file: TokenOpt = None,
    executable: ExecutableOpt = None,
    unit_dir: Annotated[
        Path, typer.Option(help="Where systemd reads units from (writing there needs root).")
    ] = Path("/etc/systemd/system"),
) -> None:
    """Write NAME.service for COMMAND; then enable it with systemctl (printed)."""
    from edge_runtime import __version__
    from edge_runtime.atomic import write_text
    from edge_runtime.service import make_unit

    options = _options(command, name, user, password_file, token_file, executable)
    path = unit_dir / f"{options.name}.service"
    write_text(path, make_unit(options, __version__))
    typer.echo(f"wrote {path}")
    typer.echo(f"start it now and on every boot: sudo systemctl daemon-reload && "
               f"sudo systemctl enable --now {options.name}")  # fmt: skip
    typer.echo(f"its lines: journalctl -u {options.name} -f")
    if user is None and str(options.executable).startswith("/home/"):
        typer.echo(
            f"note: {options.executable} is under /home; the service's own user may not be "
            "allowed to read it (install edge-emo under /opt, or pass --user)",
            err=True,
        )
