"""`edge-emo listen`: one combined, de-duplicated stream from every device under a prefix.

Subscribes to PREFIX/+/emotion and PREFIX/+/status with QoS 1 on a persistent session
(fixed client id, clean_session off), so the broker keeps what arrives while the
consumer is away. Each new (device, source, t) is appended to the output as one JSON
line and flushed before the broker gets its acknowledgement, so a line is never lost
between broker and file; a repeat is counted and skipped.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from edge_runtime.cancel import stop_on_signals, stop_requested
from edge_runtime.errors import OutputError
from edge_runtime.mqtt.broker import (
    ConnectionOptions,
    StartupHandshake,
    connect_in_background,
    make_client,
    warn,
)
from edge_runtime.mqtt.messages import SCHEMA, MessageKey, message_key

DEDUP_HORIZON = 3600  # seconds of one stream remembered below its newest t
MAX_STREAMS = 10_000


class Deduplicator:
    """Remembers which (device, source, track, t) were seen, in bounded memory.

    Per stream (device, source, track) it keeps the seconds within DEDUP_HORIZON of the newest
    one; anything older than that is a replay by construction (queues replay in order).
    At most MAX_STREAMS streams are kept, least recently used dropped first.
    """

    def __init__(self, horizon: int = DEDUP_HORIZON, max_streams: int = MAX_STREAMS) -> None:
        self.horizon = horizon
        self.max_streams = max_streams
        self._streams: OrderedDict[tuple, tuple[int, set[int]]] = OrderedDict()

    def is_new(self, key: MessageKey) -> bool:
        """True the first time a key is offered, False for repeats."""
        stream, t = (key.device, key.source, key.track), key.t
        newest, seen = self._streams.pop(stream, (t, set()))
        if t in seen or t <= newest - self.horizon:
            self._streams[stream] = (newest, seen)
            return False
        seen.add(t)
        if t > newest:
            newest = t
            if len(seen) > 2 * self.horizon:
                seen = {s for s in seen if s > newest - self.horizon}
        self._streams[stream] = (newest, seen)
        while len(self._streams) > self.max_streams:
            self._streams.popitem(last=False)
        return True


@dataclass
class DeviceState:
    """What the live summary shows for one device."""

    status: str = "?"
    entries: int = 0
    duplicates: int = 0
    last_t: int | None = None
    track: int | None = None  # whose second that was, with several faces
    top: str | None = None
    confidence: float | None = None
    last_seen: float | None = None
    latency_s: float | None = None
    dropped: int = 0
    synthetic: bool = False


@dataclass
class FleetState:
    devices: dict[str, DeviceState] = field(default_factory=dict)
    written: int = 0
    duplicates: int = 0
    malformed: int = 0

    def device(self, name: str) -> DeviceState:
        return self.devices.setdefault(name, DeviceState())


@dataclass(frozen=True)
class ListenOptions:
    connection: ConnectionOptions
    output: Path | None = None  # None: stdout
    seconds: float | None = None  # stop after this long
    count: int | None = None  # stop after this many new entries


class FleetListener:
    """Receive, de-duplicate and append; `state` feeds the live summary."""

    def __init__(self, options: ListenOptions) -> None:
        self.options = options
        self.prefix = options.connection.address.prefix
        self.state = FleetState()
        self.dedup = Deduplicator()
        self.done = threading.Event()
        self._handshake = StartupHandshake(options.connection.address, warn)
        self._lock = threading.Lock()
        self._out: IO[str] | None = None
        self.client = make_client(options.connection, clean=False)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.subscribed = threading.Event()
        self.quiet = False

    def start(self) -> None:
        """Open the output (appending, its keys seed the de-duplication) and connect."""
        path = self.options.output
        if path is None:
            self._out = sys.stdout
        else:
            for key in _keys_in(path):
                self.dedup.is_new(key)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._out = open(path, "a", encoding="utf-8")  # noqa: SIM115
            except OSError as exc:
                raise OutputError(f"{path}: cannot write ({exc.strerror})") from None

        def unreachable(reason: str) -> None:
            warn(f"{reason}; retrying")

        connected = connect_in_background(self.client, self.options.connection, unreachable)
        refusal = self._handshake.finish(connected, 10.0)
        if refusal is not None:
            self.stop()
            raise refusal

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        with self._lock:
            out, self._out = self._out, None
            if out is not None and out is not sys.stdout:
                out.close()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._handshake.refused(client, reason_code)
            return
        client.subscribe([(f"{self.prefix}/+/emotion", 1), (f"{self.prefix}/+/status", 1)])
        self._handshake.accepted()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        if any(code.is_failure for code in reason_codes):
            warn(f"the broker refused the subscription ({reason_codes})")
            return
        if not self.subscribed.is_set() and not self.quiet:
            print(f"edge-emo: listen: subscribed to {self.prefix}/+/emotion at "
                  f"{self.options.connection.address}", file=sys.stderr, flush=True)  # fmt: skip
        self.subscribed.set()

    def _on_message(self, client, userdata, message) -> None:
        now = time.time()
        levels = message.topic.split("/")
        device, kind = levels[-2], levels[-1]
        if kind == "status":
            self.state.device(device).status = message.payload.decode(errors="replace")[:16]
            return
        try:
            entry = json.loads(message.payload)
            if entry.get("schema") != SCHEMA:
                raise ValueError("not an edge-emo message")
            key = message_key(entry)
        except (ValueError, KeyError, TypeError, AttributeError):
            self.state.malformed += 1
            return
        state = self.state.device(key.device)
        state.last_seen = now
        if not self.dedup.is_new(key):
            state.duplicates += 1
            self.state.duplicates += 1
            return
        entry["received_at"] = round(now, 3)
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        with self._lock:
            if self._out is None:
                return
            self._out.write(line)
            self._out.flush()  # before paho acknowledges: a written line is never lost
        state.entries += 1
        state.last_t, state.track = key.t, key.track
        state.top, state.confidence = entry.get("top"), entry.get("confidence")
        state.dropped = int(entry.get("dropped") or 0)
        state.synthetic = bool(entry.get("synthetic"))
        if isinstance(entry.get("at"), (int, float)):
            state.latency_s = now - entry["at"]
        self.state.written += 1
        if self.options.count is not None and self.state.written >= self.options.count:
            self.done.set()


def _keys_in(path: Path) -> list[MessageKey]:
    """Keys already in an output file we are appending to (bad lines are skipped)."""
    keys = []
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                try:
                    keys.append(message_key(json.loads(line)))
                except (ValueError, KeyError, TypeError):
                    continue
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise OutputError(f"{path}: cannot read ({exc.strerror})") from None
    return keys


def summary_table(state: FleetState, now: float | None = None):
    """The per-device Rich table printed live and at the end."""
    from rich.table import Table

    now = time.time() if now is None else now
    table = Table(show_edge=False, title=None)
    for column in (
        "device",
        "status",
        "entries",
        "dups",
        "last t",
        "top",
        "p",
        "seen",
        "latency",
        "dropped",
    ):
        table.add_column(column)  # fmt: skip
    for name, d in sorted(list(state.devices.items())):  # list(): one atomic snapshot
        table.add_row(
            name + (" *" if d.synthetic else ""),
            d.status,
            str(d.entries),
            str(d.duplicates),
            "-" if d.last_t is None else str(d.last_t),
            (d.top or "-") + ("" if d.track is None else f" (face {d.track})"),
            "-" if d.confidence is None else f"{d.confidence:.2f}",
            "-" if d.last_seen is None else f"{now - d.last_seen:.0f}s ago",
            "-" if d.latency_s is None else f"{1000 * d.latency_s:.0f} ms",
            str(d.dropped),
        )
    return table


def listen(options: ListenOptions, quiet: bool = False) -> dict[str, Any]:
    """Run until Ctrl-C/SIGTERM, --seconds or --count; returns the totals.

    From its first line on, Ctrl-C and SIGTERM only ask for a stop (cancel.py): the
    connection wait and the live loop end at their next check, and every path out goes
    through the same clean-up, so a stop during start-up is as clean as a later one.
    """
    from rich.console import Console, Group
    from rich.live import Live
    from rich.text import Text

    listener = FleetListener(options)
    listener.quiet = quiet
    console = Console(stderr=True, quiet=quiet)
    deadline = None if options.seconds is None else time.monotonic() + options.seconds

    def view():
        footer = Text(
            f"{listener.state.written} entries written, {listener.state.duplicates} duplicates "
            f"skipped; * = model trained on synthetic data, not real faces",
            style="dim",
        )
        return Group(summary_table(listener.state), footer)

    def running() -> bool:
        if listener.done.is_set() or stop_requested():
            return False
        return deadline is None or time.monotonic() < deadline

    try:
        with stop_on_signals():  # the clean-up runs inside it: a signal there is a stop too
            try:
                listener.start()
                if running():
                    with Live(view(), console=console, refresh_per_second=2) as live:
                        while running():
                            listener.done.wait(0.2)
                            live.update(view())
                        live.update(view())
                    if not console.is_terminal:
                        console.line()  # Live leaves its last frame without a newline
            finally:
                listener.stop()
    except KeyboardInterrupt:
        pass  # a stop asked for with Ctrl-C or SIGTERM is a normal end
    state = listener.state
    return {
        "written": state.written,
        "duplicates": state.duplicates,
        "malformed": state.malformed,
        "devices": len(state.devices),
    }
