"""Fleet load: N simulated devices publish one entry per second through one local broker.

Each simulated device is the real device path (`MqttPublisher`: its own SQLite outbox,
paho connection, QoS 1, Last Will), fed with per-second entries of random probabilities
(load data, not model output). The consumer is the real `edge-emo listen` in its own
process. Reported: delivered/sent (the bar is no loss), duplicates, end-to-end latency
(entry produced -> line written by the consumer) p50/p99, and the CPU time of the
consumer, the broker and the publishing process.

    python -m edge_emo.benchmarks.mqtt_load --devices 100 --seconds 60

Starts its own Mosquitto on a free loopback port (needs Debian's `mosquitto`).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from edge_emo.benchmarks.local_broker import Mosquitto
from edge_runtime.labels import LABELS
from edge_runtime.mqtt.messages import emotion_message, emotion_topic, encode
from edge_runtime.mqtt.publisher import MqttPublisher, PublisherOptions
from edge_runtime.timeline import SecondEntry

MODEL = {"name": "load-simulation", "synthetic": True}


def fake_entry(t: int, rng: np.random.Generator) -> SecondEntry:
    p = rng.dirichlet(np.ones(len(LABELS)))
    top = int(np.argmax(p))
    probs = {k: round(float(v), 6) for k, v in zip(LABELS, p, strict=True)}
    return SecondEntry(t, True, probs, LABELS[top], round(float(p[top]), 6), 30, 30, 3)


def run_group(url: str, devices: list[str], seconds: int, start: float, queues: Path) -> dict:
    """One process simulating several devices, each with its own publisher and thread."""
    publishers = [
        MqttPublisher.create(
            PublisherOptions.from_url(url, device=name, queue=queues / f"{name}.sqlite")
        )
        for name in devices
    ]
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    sent = [0]
    threads = [
        threading.Thread(target=run_device, args=(p, seconds, start, sent)) for p in publishers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    left = sum(p.close(flush_timeout_s=30) for p in publishers)
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime
    return {"sent": sent[0], "left": left, "cpu_s": cpu}


def run_device(publisher: MqttPublisher, seconds: int, start: float, sent: list[int]) -> None:
    """One device: an entry at start + t + jitter for t in 0..seconds-1, like a camera."""
    rng = np.random.default_rng(abs(hash(publisher.options.device)) % 2**32)
    offset = rng.uniform(0, 1)  # devices do not tick in lockstep
    topic = emotion_topic(publisher.prefix, publisher.options.device)
    source = f"camera:0@{start}"
    for t in range(seconds):
        delay = start + offset + t + 1 - time.time()
        if delay > 0:
            time.sleep(delay)
        message = emotion_message(
            fake_entry(t, rng), device=publisher.options.device, source=source, model=MODEL
        )
        publisher.publish(topic, encode(message))
        sent[0] += 1


def outage(broker: Mosquitto, at: float, duration: float) -> None:
    time.sleep(max(0.0, at - time.time()))
    broker.stop()
    print(f"broker stopped at {at - broker_started[0]:.0f} s for {duration:.0f} s", flush=True)
    time.sleep(duration)
    broker.start()


broker_started = [0.0]


def cpu_of(process: subprocess.Popen) -> tuple[int, float]:
    """Wait for a child and return (exit code, user+system CPU seconds) from wait4."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--per-process", type=int, default=100, help="Devices per process.")
    parser.add_argument(
        "--outage",
        metavar="AT:FOR",
        help="Stop the broker AT seconds in, for FOR seconds (e.g. 20:10): queues must cover it.",
    )
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="edge-emo-mqtt-load-"))
    broker = Mosquitto(work / "broker").start()
    url = broker.url("load")
    fleet = work / "fleet.jsonl"
    expected = args.devices * args.seconds
    edge_emo = Path(sys.executable).with_name("edge-emo")
    consumer_started = time.monotonic()
    consumer = subprocess.Popen(
        [str(edge_emo), "listen", url, "-o", str(fleet), "--count", str(expected),
         "--seconds", str(args.seconds + 120), "--client-id", "load-consumer"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    for line in consumer.stderr:
        if "subscribed to" in line:
            break
    print(f"broker {url}, {args.devices} devices x {args.seconds} s, consumer pid {consumer.pid}")

    # Devices in groups of --per-process: paho's network loop uses select(), which cannot
    # watch file descriptors above 1024, and each device holds ~7 of them.
    names = [f"dev{i:03d}" for i in range(args.devices)]
    groups = [names[i : i + args.per_process] for i in range(0, len(names), args.per_process)]
    start = time.time() + 3 + 0.05 * len(names)  # every group connected by then
    broker_started[0] = start
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(groups), mp_context=context) as pool:
        futures = [
            pool.submit(run_group, url, group, args.seconds, start, work / "queues")
            for group in groups
        ]
        if args.outage:
            at, duration = (float(x) for x in args.outage.split(":"))
            outage(broker, start + at, duration)
        results = [f.result() for f in futures]
    sent = sum(r["sent"] for r in results)
    left = sum(r["left"] for r in results)
    publishers_cpu = sum(r["cpu_s"] for r in results)
    threading.Thread(target=consumer.stderr.read, daemon=True).start()  # drain its summary
    code, consumer_cpu = cpu_of(consumer)
    consumer_wall = time.monotonic() - consumer_started
    broker.process.terminate()
    _, broker_cpu = cpu_of(broker.process)  # the last broker process, after an outage
    broker.process = None

    lines = [json.loads(line) for line in fleet.read_text().splitlines()]
    keys = {(m["device"], m["source"], m["t"]) for m in lines}
    latency = np.array([m["received_at"] - m["at"] for m in lines]) * 1000
    per_device: dict[str, list[int]] = {}
    for m in lines:
        per_device.setdefault(m["device"], []).append(m["t"])
    per_device_in_order = all(per_device.get(n) == list(range(args.seconds)) for n in names)
    wall = round(consumer_wall, 1)
    figures = {
        "devices": args.devices,
        "outage": args.outage,
        "seconds": args.seconds,
        "sent": sent,
        "delivered_unique": len(keys),
        "lines_written": len(lines),
        "left_queued": left,
        "in_order_per_device": per_device_in_order,
        "latency_ms_p50": round(float(np.percentile(latency, 50)), 2),
        "latency_ms_p99": round(float(np.percentile(latency, 99)), 2),
        "latency_ms_max": round(float(latency.max()), 2),
        "consumer_cpu_s": round(consumer_cpu, 2),
        "consumer_cpu_percent_of_one_core": round(100 * consumer_cpu / wall, 1),
        "consumer_cpu_ms_per_entry": round(1000 * consumer_cpu / max(len(lines), 1), 3),
        "broker_cpu_s": round(broker_cpu, 2),
        "publisher_processes": len(groups),
        "publishers_cpu_s": round(publishers_cpu, 2),
        "consumer_exit": code,
    }
    print(f"delivered/sent        {len(keys)}/{sent} ({100 * len(keys) / max(sent, 1):.2f}%)"
          f", {left} left queued, in order per device: {per_device_in_order}")  # fmt: skip
    print(f"latency p50/p99/max   {figures['latency_ms_p50']} / {figures['latency_ms_p99']} / "
          f"{figures['latency_ms_max']} ms (entry produced -> line written by the consumer)")  # fmt: skip
    print(f"consumer CPU          {figures['consumer_cpu_s']} s over ~{wall} s "
          f"({figures['consumer_cpu_percent_of_one_core']}% of one core, "
          f"{figures['consumer_cpu_ms_per_entry']} ms per entry incl. start-up)")  # fmt: skip
    print(f"broker CPU            {figures['broker_cpu_s']} s; "
          f"{args.devices} publishers ({len(groups)} processes) {figures['publishers_cpu_s']} s")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return figures


if __name__ == "__main__":
    figures = main()
    sys.exit(0 if figures["delivered_unique"] == figures["sent"] else 1)
