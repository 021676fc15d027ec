"""Error types with documented exit codes, so the CLI prints one line and exits non-zero."""

from __future__ import annotations


class EdgeEmoError(Exception):
    """Base class for errors the user can act on; `exit_code` is what the CLI returns."""

    exit_code = 1


class InputError(EdgeEmoError):
    """A file or folder given by the user is missing, unreadable or malformed."""

    exit_code = 2


class ModelError(EdgeEmoError):
    """A model file or its metadata sidecar is missing, tampered with or inconsistent."""

    exit_code = 3


class OutputError(EdgeEmoError):
    """An output could not be written (read-only folder, disk full)."""

    exit_code = 4


class DependencyError(EdgeEmoError):
    """A feature needs an optional dependency that is not installed."""

    exit_code = 5


class GateError(EdgeEmoError):
    """A converted model failed a quality or compatibility gate; nothing was written."""

    exit_code = 6


class BrokerError(EdgeEmoError):
    """The MQTT broker refused us (credentials, TLS) or cannot be used as configured."""

    exit_code = 7


EXIT_CODES = {
    0: "success",
    1: "some inputs failed (batch) or an unexpected error",
    2: "bad input file or folder",
    3: "bad model or metadata",
    4: "output could not be written",
    5: "missing optional dependency",
    6: "conversion gate failed",
    7: "MQTT broker refused the connection (credentials, TLS)",
    130: "interrupted (Ctrl-C / SIGTERM)",
}
