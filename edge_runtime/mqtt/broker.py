"""Where the broker is and how to log in: `mqtt[s]://[user@]host[:port]/PREFIX` plus secrets.

The password never comes from the command line or the URL (it would show in `ps` and
shell history): it is read from `$EDGE_EMO_MQTT_PASSWORD` or from a file, and no message
or log line ever contains it.
"""

from __future__ import annotations

import os
import socket
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from edge_runtime.cancel import stop_requested
from edge_runtime.errors import BrokerError, InputError

PASSWORD_ENV = "EDGE_EMO_MQTT_PASSWORD"
DEFAULT_PREFIX = "edge-emo"
DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


@dataclass(frozen=True)
class BrokerAddress:
    """A parsed broker URL: scheme, host, port, user name and topic prefix."""

    host: str
    port: int
    tls: bool
    prefix: str
    username: str | None = None

    @classmethod
    def from_url(cls, url: str) -> BrokerAddress:
        """Parse `mqtt[s]://[user@]host[:port]/PREFIX`; the prefix defaults to 'edge-emo'."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise InputError(f"--mqtt {_redacted(url)!r}: expected mqtt://host/PREFIX or mqtts://…")
        if parts.password is not None:
            raise InputError(
                f"--mqtt: do not put the password in the URL; set ${PASSWORD_ENV} or use a password file"
            )
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise InputError(f"--mqtt {url!r}: the port must be a number") from None
        if not parts.hostname:
            raise InputError(f"--mqtt {url!r}: no host name")
        if "#" in url or "?" in url:  # urlsplit would read them as fragment and query
            raise InputError(f"--mqtt {url!r}: the topic prefix must not contain '#' or '?'")
        prefix = parts.path.strip("/") or DEFAULT_PREFIX
        check_topic_part(prefix, "topic prefix", allow_slash=True)
        return cls(
            host=parts.hostname,
            port=port,
            tls=parts.scheme == "mqtts",
            prefix=prefix,
            username=unquote(parts.username) if parts.username else None,
        )

    def __str__(self) -> str:
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}/{self.prefix}"


@dataclass(frozen=True)
class TlsFiles:
    """CA bundle to trust (None: the system's) and an optional client certificate and key."""

    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None


@dataclass(frozen=True)
class ConnectionOptions:
    """Everything needed to open a connection; `password` is kept out of repr."""

    address: BrokerAddress
    client_id: str
    password: str | None = field(default=None, repr=False)
    tls: TlsFiles = TlsFiles()
    keepalive_s: int = 30
    reconnect_max_s: int = 30


def warn(message: str) -> None:
    """A one-line MQTT notice on stderr (never containing the password)."""
    print(f"edge-emo: mqtt: {message}", file=sys.stderr, flush=True)


def check_topic_part(value: str, what: str, allow_slash: bool = False) -> str:
    """Reject topic parts that would change the topic's meaning (wildcards, empty levels)."""
    bad = "+#\0" if allow_slash else "+#/\0"
    if not value or any(c in value for c in bad) or "//" in value:
        raise InputError(f"{what} {value!r} must be non-empty and contain none of {bad!r}")
    return value


def device_id_default() -> str:
    """The host name, which is what a fleet operator recognises a device by."""
    return socket.gethostname().split(".")[0] or "edge-emo"


def read_password(password_file: Path | None) -> str | None:
    """The password from a file (first line) or $EDGE_EMO_MQTT_PASSWORD; None if neither."""
    if password_file is not None:
        try:
            return password_file.read_text(encoding="utf-8").splitlines()[0]
        except (OSError, UnicodeDecodeError, IndexError) as exc:
            reason = getattr(exc, "strerror", None) or "empty or not text"
            raise InputError(f"{password_file}: cannot read the password ({reason})") from None
    return os.environ.get(PASSWORD_ENV) or None


def make_client(options: ConnectionOptions, clean: bool = True):
    """A paho-mqtt 2.x client with credentials, TLS and back-off set; not yet connected."""
    import paho.mqtt.client as mqtt

    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=options.client_id,
        clean_session=clean,
        protocol=mqtt.MQTTv311,
    )
    address = options.address
    if address.username is not None:
        client.username_pw_set(address.username, options.password)
    elif options.password is not None:
        raise InputError(
            "a password was given but the --mqtt URL names no user (mqtt://USER@host/…)"
        )
    if address.tls:
        for path in (options.tls.ca, options.tls.cert, options.tls.key):
            if path is not None and not Path(path).is_file():
                raise InputError(f"{path}: no such file")
        if options.tls.key is not None and options.tls.cert is None:
            raise InputError("--mqtt-key needs --mqtt-cert")
        try:
            client.tls_set(
                ca_certs=str(options.tls.ca) if options.tls.ca else None,
                certfile=str(options.tls.cert) if options.tls.cert else None,
                keyfile=str(options.tls.key) if options.tls.key else None,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        except (ssl.SSLError, OSError) as exc:
            raise InputError(f"TLS files: {exc}") from None
    elif options.tls != TlsFiles():
        raise InputError("TLS files were given but the URL is mqtt://; use mqtts://")
    client.reconnect_delay_set(min_delay=1, max_delay=options.reconnect_max_s)
    return client


def connect_in_background(client, options: ConnectionOptions, on_unreachable) -> bool:
    """Connect now if the broker answers, else let paho's thread keep retrying with back-off.

    Returns True when the connection is open (its CONNACK is still to come). Raises
    BrokerError when retrying cannot help (the TLS certificate check failed); calls
    `on_unreachable(reason)` when the broker is down and retries go on.
    """
    address = options.address
    try:
        client.connect(address.host, address.port, options.keepalive_s)
    except (OSError, ValueError) as exc:
        reason, retry = describe_connect_error(address, exc)
        if not retry:
            raise BrokerError(reason) from None
        on_unreachable(reason)
        client.connect_async(address.host, address.port, options.keepalive_s)
        client.loop_start()
        return False
    client.loop_start()
    return True


def describe_connect_error(address: BrokerAddress, exc: BaseException) -> tuple[str, bool]:
    """A one-line reason for a failed TCP/TLS connect, and whether retrying can help."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"{address}: TLS certificate check failed ({exc.verify_message})", False
    if isinstance(exc, ssl.SSLError):
        return f"{address}: TLS handshake failed ({exc.reason or exc})", False
    if isinstance(exc, socket.gaierror):
        return f"{address}: unknown host {address.host!r}", True
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"{address}: cannot connect ({reason})", True


def describe_refusal(address: BrokerAddress, reason_code) -> BrokerError:
    """The broker answered CONNACK with a refusal: bad credentials, not authorised, ..."""
    return BrokerError(f"{address}: the broker refused the connection ({reason_code})")


class StartupHandshake:
    """A refusal in the broker's first answer is fatal (wrong password: retrying cannot help);
    after start-up a refusal is a warning and paho keeps retrying with back-off."""

    def __init__(self, address: BrokerAddress, warn) -> None:
        self.address = address
        self.warn = warn
        self._over = threading.Event()
        self._refusal: BrokerError | None = None

    def refused(self, client, reason_code) -> None:
        """From on_connect when the CONNACK is a refusal."""
        refusal = describe_refusal(self.address, reason_code)
        if self._over.is_set():
            self.warn(f"{refusal}; retrying")
            return
        self._refusal = refusal
        self._over.set()
        client.disconnect()  # do not retry with credentials the broker refused

    def accepted(self) -> None:
        self._over.set()

    def finish(self, connected: bool, timeout_s: float) -> BrokerError | None:
        """Wait for the first answer if a connection is open; the refusal, if there was one.

        The wait ends early when a stop was asked for (Ctrl-C, SIGTERM; see cancel.py).
        """
        if connected:
            deadline = time.monotonic() + timeout_s
            while not self._over.wait(0.05) and not stop_requested():
                if time.monotonic() >= deadline:
                    break
        self._over.set()
        return self._refusal


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@")
