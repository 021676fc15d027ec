"""A systemd unit that starts edge-emo on boot and brings it back after a crash.

The unit runs the command as a user of its own (systemd's DynamicUser, in the `video`
group for the camera) or a given account; state (the MQTT queue, relative output paths)
lives in /var/lib/NAME; the MQTT password reaches the process as a systemd credential
file, never on a command line; what edge-emo prints goes to the journal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edge_runtime.errors import InputError

SERVICE_COMMANDS = ("run", "listen", "serve")
"""Long-running commands a service may wrap."""

CREDENTIAL = "mqtt-password"
TOKEN_CREDENTIAL = "serve-token"

NO_RESTART_EXIT_CODES = (3, 5)
"""Bad model, missing dependency: restarting cannot help (a lost camera, exit 2, can)."""


@dataclass(frozen=True)
class ServiceOptions:
    """What the unit runs and as whom."""

    executable: Path  # absolute path of the `edge-emo` script
    command: tuple[str, ...]  # edge-emo arguments, e.g. ("run", "--camera", "0")
    name: str = "edge-emo"
    user: str | None = None  # an existing account; None: a dynamic user of its own
    password_file: Path | None = None  # the MQTT password, as a credential
    token_file: Path | None = None  # serve's access token, as a credential


def systemd_quote(arg: str) -> str:
    """One ExecStart word: double-quoted when needed; % and $ escaped (no specifier expansion)."""
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if escaped and not any(c in escaped for c in " \t\n\"'\\;"):
        return escaped
    inner = escaped.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{inner}"'


def check_service(options: ServiceOptions) -> None:
    """Refuse a unit that could not work unattended; InputError says why."""
    if not options.name or not all(c.isalnum() or c in "-_." for c in options.name):
        raise InputError(f"service name {options.name!r}: use letters, digits, '-', '_', '.'")
    if not options.executable.is_absolute():
        raise InputError(f"{options.executable}: the edge-emo executable must be an absolute path")
    if not options.command or options.command[0] not in SERVICE_COMMANDS:
        raise InputError(
            f"a service runs one of: {', '.join(SERVICE_COMMANDS)} (got {' '.join(options.command) or 'nothing'})"
        )
    words = set(options.command)
    if "--show" in words:
        raise InputError("--show needs a desktop; a service has none")
    if {"--mqtt-password-file", "--password-file", "--token-file", "--token"} & words:
        raise InputError(
            "give secret files to the service (--password-file, --token-file), not to the command"
        )
    if options.command[0] in ("run", "serve") and not {"--camera", "--camera-file"} & words:
        raise InputError(f"a `{options.command[0]}` service reads a camera: add --camera N")
    if options.token_file is not None and options.command[0] != "serve":
        raise InputError("--token-file is for a `serve` service")
    for secret in (options.password_file, options.token_file):
        if secret is not None and not secret.is_absolute():
            raise InputError(f"{secret}: a secret file must be given as an absolute path")
        if secret is not None and not secret.is_file():
            raise InputError(f"{secret}: no such file")


def make_unit(options: ServiceOptions, version: str) -> str:
    """The unit file's text (check it with `check_service` first)."""
    name = options.name
    args = list(options.command)
    if options.password_file is not None:
        flag = "--password-file" if args[0] == "listen" else "--mqtt-password-file"
        args += [flag, f"%d/{CREDENTIAL}"]  # %d: the credentials directory
    if options.token_file is not None:
        args += ["--token-file", f"%d/{TOKEN_CREDENTIAL}"]
    exec_start = " ".join(
        [systemd_quote(str(options.executable))]
        + [a if a.startswith("%d/") else systemd_quote(a) for a in args]
    )
    who = (
        [f"User={options.user}"]
        if options.user
        else ["DynamicUser=yes", "SupplementaryGroups=video"]
    )
    credential = [
        f"LoadCredential={name}:{path}"
        for name, path in (
            (CREDENTIAL, options.password_file),
            (TOKEN_CREDENTIAL, options.token_file),
        )
        if path is not None
    ]
    lines = [
        f"# Written by `edge-emo service install` (edge-emo {version}).",
        f"# Start: sudo systemctl daemon-reload && sudo systemctl enable --now {name}",
        f"# Logs:  journalctl -u {name} -f",
        "[Unit]",
        f"Description=edge-emo {args[0]}: per-second facial emotion ({name})",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=exec",
        f"ExecStart={exec_start}",
        *who,
        *credential,
        f"StateDirectory={name}",
        f"WorkingDirectory=%S/{name}",
        f"Environment=XDG_STATE_HOME=%S/{name} PYTHONUNBUFFERED=1",
        "Restart=on-failure",
        "RestartSec=10",
        "RestartPreventExitStatus=" + " ".join(str(c) for c in NO_RESTART_EXIT_CODES),
        "TimeoutStopSec=30",  # SIGTERM ends a run cleanly; the MQTT queue flushes for up to 10 s
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=read-only",
        "PrivateTmp=yes",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ]
    return "\n".join(lines)
