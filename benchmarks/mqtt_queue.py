"""The device's MQTT queue at its bound: append cost, size on disk, and how fast it drains.

Fills an outbox to --entries (default 86,400: the default bound, one day of seconds) with
realistic per-second messages through the real `Outbox.put` (WAL, synchronous=FULL), times
appends at the bound (each one drops the oldest), then connects a real `MqttPublisher` to
a local Mosquitto and times the backlog's delivery (no subscriber attached).

    python -m edge_emo.benchmarks.mqtt_queue
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from edge_emo.benchmarks.local_broker import Mosquitto
from edge_runtime.labels import LABELS
from edge_runtime.mqtt.messages import emotion_message, emotion_topic, encode
from edge_runtime.mqtt.outbox import DEFAULT_MAX_MESSAGES, Outbox
from edge_runtime.mqtt.publisher import MqttPublisher, PublisherOptions
from edge_runtime.timeline import SecondEntry


def sample_payload(device: str) -> bytes:
    probs = {label: round(1 / len(LABELS), 6) for label in LABELS}
    entry = SecondEntry(12345, True, probs, LABELS[1], probs[LABELS[1]], 30, 30, 1)
    model = {"name": "emotion-synthetic-int8", "synthetic": True}
    source = "camera:0@2026-11-25T15:03:35.120+00:00"
    return encode(emotion_message(entry, device=device, source=source, model=model))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=DEFAULT_MAX_MESSAGES)
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="edge-emo-mqtt-queue-"))
    device = "kitchen-pi"
    queue = work / "queue.sqlite"
    broker = Mosquitto(work / "broker")
    topic = emotion_topic("site1", device)
    payload = sample_payload(device)
    with Outbox(queue, max_messages=args.entries) as box:
        started = time.perf_counter()
        for _ in range(args.entries):
            box.put(topic, payload)
        fill_s = time.perf_counter() - started
        started = time.perf_counter()
        dropped = sum(box.put(topic, payload) for _ in range(100))
        at_bound_ms = 10 * (time.perf_counter() - started)
        box._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # size of the data, not the log
    size_mb = queue.stat().st_size / 1e6

    broker.start()
    try:
        options = PublisherOptions.from_url(broker.url("site1"), device=device, queue=queue)
        started = time.perf_counter()
        publisher = MqttPublisher.create(options)
        left = publisher.flush(600)
        drain_s = time.perf_counter() - started
        delivered = publisher.delivered
        publisher.close()
    finally:
        broker.stop()

    figures = {
        "entries": args.entries,
        "payload_bytes": len(payload),
        "append_ms": round(1000 * fill_s / args.entries, 3),
        "append_at_bound_ms": round(at_bound_ms, 3),
        "dropped_at_bound": dropped,
        "size_on_disk_mb": round(size_mb, 1),
        "drain_s": round(drain_s, 1),
        "drained": delivered,
        "left": left,
    }
    print(f"{args.entries} entries of {len(payload)} B: appended at {figures['append_ms']} ms each "
          f"({fill_s:.1f} s), {figures['append_at_bound_ms']} ms at the bound (drops the oldest)")  # fmt: skip
    print(f"on disk when full: {figures['size_on_disk_mb']} MB")
    print(f"backlog delivered to a loopback Mosquitto in {drain_s:.1f} s "
          f"({delivered / drain_s:.0f} entries/s), {left} left")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return figures


if __name__ == "__main__":
    main()
