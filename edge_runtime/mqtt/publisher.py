"""Publishing through the on-disk outbox: every entry is queued first, sent, then forgotten.

Two threads besides the caller's: paho's network loop, and a sender that moves messages
from the outbox to the connection (at most `inflight` unacknowledged at a time) and
deletes them when their PUBACK arrives. After every (re)connect the sender starts again
from the oldest unacknowledged message, so a consumer that keeps the first copy of each
(device, source, t) sees every second in order.
"""

from __future__ import annotations

import collections
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_runtime.errors import InputError
from edge_runtime.mqtt.broker import (
    BrokerAddress,
    ConnectionOptions,
    StartupHandshake,
    TlsFiles,
    check_topic_part,
    connect_in_background,
    device_id_default,
    make_client,
    read_password,
    warn,
)
from edge_runtime.mqtt.messages import (
    HA_DISCOVERY_PREFIX,
    ha_discovery,
    header_topic,
    status_topic,
)
from edge_runtime.mqtt.outbox import DEFAULT_MAX_MESSAGES, Outbox, default_queue_path

# Out-of-the-box host names: two devices with the same id would take turns on the broker.
GENERIC_HOSTNAMES = {"raspberrypi", "localhost", "debian", "ubuntu", "pi"}


@dataclass(frozen=True)
class PublisherOptions:
    """One device's connection, queue and extras."""

    connection: ConnectionOptions
    device: str
    queue_path: Path
    queue_size: int = DEFAULT_MAX_MESSAGES
    ha_discovery: bool = False
    ha_prefix: str = HA_DISCOVERY_PREFIX
    inflight: int = 20
    connect_timeout_s: float = 10.0

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        device: str | None = None,
        password_file: Path | None = None,
        tls: TlsFiles = TlsFiles(),
        queue: Path | None = None,
        queue_size: int = DEFAULT_MAX_MESSAGES,
        ha_discovery: bool = False,
    ) -> PublisherOptions:
        """Options from what `edge-emo run --mqtt URL ...` was given."""
        address = BrokerAddress.from_url(url)
        if device is None and device_id_default() in GENERIC_HOSTNAMES:
            warn(
                f"the host name {device_id_default()!r} is likely shared by other devices; "
                "give each one its own --device-id"
            )
        device = check_topic_part(device or device_id_default(), "device id")
        if queue_size < 1:
            raise InputError("--mqtt-queue-size must be at least 1")
        connection = ConnectionOptions(
            address=address,
            client_id=f"edge-emo-{device}",
            password=read_password(password_file),
            tls=tls,
        )
        return cls(
            connection=connection,
            device=device,
            queue_path=queue or default_queue_path(device, str(address)),
            queue_size=queue_size,
            ha_discovery=ha_discovery,
        )


@dataclass
class _SendState:
    """The sender's bookkeeping: paho message id -> outbox row, last row handed to paho."""

    in_flight: dict[int, int] = field(default_factory=dict)
    cursor: int = 0
    generation: int = -1  # the connection the in-flight rows were sent on


class MqttPublisher:
    """Durable QoS 1 publishing for one device; create with `MqttPublisher.create(options)`."""

    def __init__(self, options: PublisherOptions, outbox: Outbox, client) -> None:
        self.options = options
        self.outbox = outbox
        self.prefix = options.connection.address.prefix
        self.dropped = outbox.dropped
        self.delivered = 0
        self.connects = 0
        self._retained: dict[str, bytes] = {}
        self._acks: collections.deque[int] = collections.deque()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._handshake = StartupHandshake(options.connection.address, warn)
        self._generation = 0
        self._warned_down = False
        self.client = client
        self.client.max_inflight_messages_set(options.inflight + 8)  # + retained extras
        self.client.will_set(
            status_topic(self.prefix, options.device), b"offline", qos=1, retain=True
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self._sender = threading.Thread(target=self._send_loop, name="edge-emo-mqtt", daemon=True)

    @classmethod
    def create(cls, options: PublisherOptions) -> MqttPublisher:
        """Open the queue, connect (or start retrying in the background) and start sending.

        Raises BrokerError at once when retrying cannot help: the broker refused our
        credentials, or the TLS certificate check failed.
        """
        client = make_client(options.connection)  # checks TLS files before touching the disk
        outbox = Outbox(options.queue_path, options.queue_size)
        try:
            publisher = cls(options, outbox, client)
            publisher._start()
        except BaseException:
            outbox.close()
            raise
        return publisher

    def _start(self) -> None:
        waiting = len(self.outbox)
        if waiting:
            warn(f"{waiting} entries queued by an earlier run are sent first ({self.outbox.path})")

        def unreachable(reason: str) -> None:
            warn(f"{reason}; queuing entries in {self.outbox.path} and retrying")
            self._warned_down = True

        connected = connect_in_background(self.client, self.options.connection, unreachable)
        refusal = self._handshake.finish(connected, self.options.connect_timeout_s)
        self._sender.start()
        if refusal is not None:
            self._shutdown()
            raise refusal

    # ---------------------------------------------------------------- caller's side

    def set_retained(self, topic: str, payload: bytes) -> None:
        """A retained message re-published on every connect (status extras, HA config)."""
        self._retained[topic] = payload
        if self._connected.is_set():
            self.client.publish(topic, payload, qos=1, retain=True)

    def announce(self, header: dict[str, Any]) -> None:
        """Retain the run's header and, if asked, the Home Assistant discovery config."""
        model = header.get("model", {})
        device = self.options.device
        self.set_retained(header_topic(self.prefix, device), json.dumps(header).encode())
        if self.options.ha_discovery:
            topic, config = ha_discovery(self.prefix, device, model, self.options.ha_prefix)
            self.set_retained(topic, json.dumps(config).encode())

    def publish(self, topic: str, payload: bytes) -> None:
        """Queue one message on disk; the sender delivers it when the broker is reachable."""
        dropped = self.outbox.put(topic, payload)
        if dropped:
            if self.dropped == 0 or (self.dropped + dropped) // 1000 > self.dropped // 1000:
                warn(
                    f"queue full ({self.outbox.max_messages} entries): dropped the oldest, "
                    f"{self.dropped + dropped} so far"
                )
            self.dropped += dropped
        self._wake.set()

    def flush(self, timeout_s: float) -> int:
        """Wait until everything queued is acknowledged; returns how many are still queued."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if len(self.outbox) == 0:
                return 0
            self._wake.set()
            time.sleep(0.05)
        return len(self.outbox)

    def close(self, flush_timeout_s: float = 10.0) -> int:
        """Deliver what can be delivered, say `offline`, disconnect; returns entries left queued."""
        try:
            left = self.flush(flush_timeout_s) if self._connected.is_set() else len(self.outbox)
            if self._connected.is_set():
                info = self.client.publish(
                    status_topic(self.prefix, self.options.device), b"offline", qos=1, retain=True
                )
                info.wait_for_publish(timeout=2.0)
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting; the queue keeps the rest
            left = len(self.outbox)
        self._shutdown()
        return left

    def _shutdown(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._sender.is_alive():
            self._sender.join(timeout=5)
        self.client.disconnect()
        self.client.loop_stop()
        self.outbox.close()

    # ---------------------------------------------------------------- paho's thread

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._handshake.refused(client, reason_code)
            return
        self.connects += 1
        self._generation += 1
        if self._warned_down:
            warn(f"connected to {self.options.connection.address}")
            self._warned_down = False
        client.publish(
            status_topic(self.prefix, self.options.device), b"online", qos=1, retain=True
        )
        for topic, payload in list(self._retained.items()):
            client.publish(topic, payload, qos=1, retain=True)
        self._connected.set()
        self._handshake.accepted()
        self._wake.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        if was_connected and not self._stopping.is_set():
            warn(
                f"lost the broker ({reason_code}); queuing entries in {self.outbox.path} "
                "and reconnecting"
            )
            self._warned_down = True

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self._acks.append(mid)  # the sender thread owns the bookkeeping (no lock order issues)
        self._wake.set()

    # ---------------------------------------------------------------- sender thread

    def _send_loop(self) -> None:
        """Keep going whatever happens: a dead sender would queue silently forever."""
        state = _SendState()
        failures = 0
        while not self._stopping.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            try:
                self._send_step(state)
                failures = 0
            except Exception as exc:
                failures += 1
                if failures == 1:
                    warn(f"sending from {self.outbox.path} failed ({exc}); retrying")
                state.generation = -1  # start again from the oldest unacknowledged
                self._stopping.wait(min(5.0, 0.5 * failures))

    def _send_step(self, state: _SendState) -> None:
        """Forget acknowledged rows, then fill the in-flight window from the queue."""
        in_flight = state.in_flight
        acked = []
        while self._acks:
            row = in_flight.pop(self._acks.popleft(), None)
            if row is not None:
                acked.append(row)
        if acked:
            self.outbox.remove(acked)
            self.delivered += len(acked)
        if not self._connected.is_set():
            return
        if state.generation != self._generation:  # new connection: resend unacknowledged
            state.generation = self._generation
            in_flight.clear()
            state.cursor = 0
        room = self.options.inflight - len(in_flight)
        if room <= 0:
            return
        for message in self.outbox.after(state.cursor, room):
            info = self.client.publish(message.topic, message.payload, qos=1)
            in_flight[info.mid] = message.id
            state.cursor = message.id
