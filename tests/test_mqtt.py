"""MQTT fleets against a real Mosquitto (the parts without a broker: test_mqtt_parts.py).

The broker tests run `edge-emo run --mqtt` and `edge-emo listen` as a user would, against
a Mosquitto on a free loopback port (edge_emo.benchmarks.local_broker), each bounded in time.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from conftest import EDGE_EMO, FACE_CLIP, NO_FACE_CLIP, require_mosquitto, run_cli

from edge_emo.benchmarks.local_broker import Mosquitto as _Mosquitto
from edge_emo.benchmarks.local_broker import make_tls
from edge_runtime.mqtt.messages import message_key


def Mosquitto(*args, **kwargs) -> _Mosquitto:
    """The broker, or a skip where mosquitto is missing (a failure under CI)."""
    require_mosquitto()
    return _Mosquitto(*args, **kwargs)


@pytest.fixture
def broker(tmp_path):
    b = Mosquitto(tmp_path / "broker").start()
    yield b
    b.stop()


def start_listener(url: str, out: Path, *extra: str, count: int, seconds: float = 60):
    """`edge-emo listen` in the background until `count` new entries (or `seconds`)."""
    process = subprocess.Popen(
        [str(EDGE_EMO), "listen", url, "-o", str(out), "--count", str(count),
         "--seconds", str(seconds), "--client-id", f"test-{out.stem}", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wait_for_subscription(process)
    return process


def wait_for_subscription(process: subprocess.Popen) -> None:
    """Read the listener's stderr up to its 'subscribed' line (bounded by the test timeout)."""
    for line in process.stderr:
        if "subscribed to" in line:
            return
    raise AssertionError(f"listener exited before subscribing: {process.wait()}")


def finish(process: subprocess.Popen, timeout: float = 60) -> tuple[int, str]:
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def retained(broker: Mosquitto, topic: str, timeout: float = 5.0, **tls) -> dict[str, bytes]:
    """Retained messages under `topic` (a filter), read with a plain paho client."""
    import paho.mqtt.client as mqtt

    got: dict[str, bytes] = {}
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    if tls:
        client.tls_set(**tls)
    client.on_connect = lambda c, *a: c.subscribe(topic, 1)
    client.on_message = lambda c, u, m: got.__setitem__(m.topic, m.payload)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not got:
        time.sleep(0.05)
    time.sleep(0.3)  # the rest of the retained set follows the first at once
    client.disconnect()
    client.loop_stop()
    return got


def mqtt_args(
    broker: Mosquitto, tmp_path: Path, device: str = "pi1", prefix: str = "test"
) -> list[str]:
    return ["--mqtt", broker.url(prefix), "--device-id", device,
            "--mqtt-queue", str(tmp_path / f"{device}.sqlite")]  # fmt: skip


def test_round_trip_of_a_real_clip(broker, tmp_path):
    fleet = tmp_path / "fleet.jsonl"
    listener = start_listener(broker.url(), fleet, count=20, seconds=60)
    local = tmp_path / "clip.json"
    result = run_cli("run", str(FACE_CLIP), "-o", str(local), "--ha-discovery",
                     *mqtt_args(broker, tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "20 entries delivered" in result.stderr
    code, err = finish(listener)
    assert code == 0, err
    timeline = json.loads(local.read_text())["seconds"]
    received = read_lines(fleet)
    assert len(received) == len(timeline) == 20
    for sent, got in zip(timeline, received, strict=True):
        assert got["device"] == "pi1" and got["source"] == str(FACE_CLIP.resolve())
        for field in ("t", "face", "probs", "top", "confidence", "frames", "face_frames"):
            assert got[field] == sent[field], field
        assert got["synthetic"] is False and 0 <= got["received_at"] - got["at"] < 30
    state = retained(broker, "#")
    assert state["test/pi1/status"] == b"offline"  # said on a clean exit, not only as the Will
    header = json.loads(state["test/pi1/header"])
    assert header["labels"][0] == "neutral" and "notice" not in header
    assert "non-commercial" in header["model"]["licence"]
    config = json.loads(state["homeassistant/sensor/edge_emo_pi1/emotion/config"])
    assert config["state_topic"] == "test/pi1/emotion"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_listen_stops_cleanly_on_ctrl_c_and_sigterm(broker, tmp_path, signum):
    fleet = tmp_path / "fleet.jsonl"
    listener = start_listener(broker.url(), fleet, count=1000)
    listener.send_signal(signum)  # the instant it subscribed (issue 18's race)
    code, err = finish(listener, timeout=30)
    assert code == 0 and "Traceback" not in err, err
    assert "0 entries from 0 devices written" in err


def _silent_broker():
    """A TCP port that accepts connections and never answers: a CONNACK that never comes."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    return server


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("moment", ["broker unreachable", "waiting for CONNACK"])
def test_listen_stops_cleanly_during_start_up(tmp_path, signum, moment):
    """Ctrl-C/SIGTERM before the connection is up: the same clean stop (exit 0, summary)."""
    from edge_emo.benchmarks.local_broker import free_port

    command = [str(EDGE_EMO), "listen", "", "-o", str(tmp_path / "fleet.jsonl"), "--seconds", "60"]
    server = None
    if moment == "broker unreachable":  # nothing listens: paho retries in the background
        command[2] = f"mqtt://127.0.0.1:{free_port()}/test"
    else:
        server = _silent_broker()
        command[2] = f"mqtt://127.0.0.1:{server.getsockname()[1]}/test"
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    accepted = None
    try:
        if server is None:
            for line in process.stderr:  # its warning comes once the first connect failed
                if "retrying" in line:
                    break
        else:
            server.settimeout(30)
            accepted, _ = server.accept()  # it is connecting; the CONNACK will never come
        process.send_signal(signum)
        code, err = finish(process, timeout=30)
    finally:
        for sock in (accepted, server):
            if sock is not None:
                sock.close()
    assert code == 0 and "Traceback" not in err, err
    assert "0 entries from 0 devices written" in err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_live_run_stops_cleanly_while_connecting_to_the_broker(tmp_path, signum):
    """run --mqtt: a stop while the broker has not answered yet ends the live run as a later
    stop does (exit 0, 'stopped'); the queue keeps whatever was produced."""
    server = _silent_broker()
    url = f"mqtt://127.0.0.1:{server.getsockname()[1]}/test"
    command = [str(EDGE_EMO), "run", "--camera-file", str(FACE_CLIP), "-q",
               "-o", str(tmp_path / "live.jsonl"), "-f", "jsonl", "--mqtt", url,
               "--device-id", "pi1", "--mqtt-queue", str(tmp_path / "q.sqlite")]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        server.settimeout(60)
        accepted, _ = server.accept()  # it is connecting; the CONNACK will never come
        process.send_signal(signum)
        code, err = finish(process, timeout=60)
        accepted.close()
    finally:
        server.close()
    assert code == 0 and "stopped" in err and "Traceback" not in err, err


def test_consumer_away_gets_its_backlog_and_skips_repeats(broker, tmp_path):
    """listen's persistent session: what arrives while it is stopped waits at the broker;
    appending to its own output, it skips seconds already written (a rerun's repeats)."""
    fleet = tmp_path / "fleet.jsonl"
    session = ["--client-id", "backlog-test"]
    first = start_listener(broker.url(), fleet, *session, count=1000)
    first.send_signal(signal.SIGINT)
    assert finish(first)[0] == 0
    run_args = ("run", str(FACE_CLIP), "-o", str(tmp_path / "c.json"), "-q", "--overwrite",
                *mqtt_args(broker, tmp_path))  # fmt: skip
    runs = [run_cli(*run_args)]  # published while no consumer is connected
    assert runs[0].returncode == 0, runs[0].stderr
    second = start_listener(broker.url(), fleet, *session, count=20, seconds=30)
    assert finish(second)[0] == 0
    assert [m["t"] for m in read_lines(fleet)] == list(range(20))

    # The same clip again (the same 20 keys), then a short clip as an end marker: the broker
    # delivers in order, so once the marker's 4 new seconds are in, every repeat has been seen
    # (a deadline instead would depend on how fast a busy machine runs the clip).
    third = start_listener(broker.url(), fleet, *session, count=4, seconds=300)
    runs.append(run_cli(*run_args))
    marker = ("run", str(NO_FACE_CLIP), "-o", str(tmp_path / "n.json"), "-q",
              *mqtt_args(broker, tmp_path))  # fmt: skip
    runs.append(run_cli(*marker))
    code, err = finish(third)
    context = "\n".join([err, *(r.stderr for r in runs), broker.log.read_text()[-3000:]])
    assert code == 0 and all(r.returncode == 0 for r in runs), context
    # Every second is in the file exactly once: the 20 repeats were recognised and skipped.
    assert [m["t"] for m in read_lines(fleet)] == [*range(20), *range(4)], context
    # QoS 1 is at-least-once: a message whose acknowledgement a sender has not seen is sent
    # again, and listen skips such redeliveries as it skips repeats. So at least the 20
    # repeats were skipped; exactly 20 is not guaranteed (once 38, 1 run in ~50 with both
    # cores busy, 2026-11-30; the run and broker output now come with a failure).
    skipped = re.search(r"(\d+) duplicates skipped", err)
    assert skipped and int(skipped.group(1)) >= 20, context


def test_serve_publishes_alongside_its_page(broker, tmp_path):
    """serve's outputs are run's: 4 s of the clip replayed reach the broker and the file."""
    pytest.importorskip("aiohttp", reason="needs the [serve] extra")
    fleet = tmp_path / "fleet.jsonl"
    listener = start_listener(broker.url(), fleet, count=4, seconds=120)
    result = run_cli("serve", "--camera-file", str(FACE_CLIP), "--seconds", "4", "--port", "0",
                     "-q", "-o", str(tmp_path / "live.jsonl"), *mqtt_args(broker, tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert finish(listener)[0] == 0
    assert [m["t"] for m in read_lines(fleet)] == [0, 1, 2, 3]
    assert [x["t"] for x in read_lines(tmp_path / "live.jsonl") if x["type"] == "second"] == [
        0,
        1,
        2,
        3,
    ]


def test_several_faces_are_a_message_per_person_and_second(broker, tmp_path):
    """--max-faces 2 on two real people: 2 x 7 messages with the track in the key; `listen`
    keeps them all (the same t twice is not a repeat) and writes the track ids."""
    from edge_emo.benchmarks.scenes import SCENES, compose

    scene = tmp_path / "together.mp4"
    compose(SCENES["together"], FACE_CLIP, scene)
    fleet = tmp_path / "fleet.jsonl"
    listener = start_listener(broker.url(), fleet, count=14, seconds=120)
    local = tmp_path / "scene.json"
    result = run_cli("run", str(scene), "-o", str(local), "--max-faces", "2",
                     *mqtt_args(broker, tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    code, err = finish(listener)
    assert code == 0, err
    received = read_lines(fleet)
    assert len(received) == 14 and {m["schema_version"] for m in received} == {2}
    keys = {message_key(m) for m in received}
    assert {k.track for k in keys} == {1, 2} and len(keys) == 14
    sent = {(t["track"], s["t"]): s for t in json.loads(local.read_text())["tracks"]
            for s in t["seconds"]}  # fmt: skip
    for got in received:
        assert got["probs"] == sent[(got["track"], got["t"])]["probs"]
        assert got["box"] == sent[(got["track"], got["t"])]["box"]
    header = json.loads(retained(broker, "test/pi1/header")["test/pi1/header"])
    assert header["schema_version"] == 2 and header["faces"]["max"] == 2


def test_several_videos_share_one_connection_and_queue(broker, tmp_path):
    """A batch with --mqtt runs in one process; each video is its own source."""
    fleet = tmp_path / "fleet.jsonl"
    listener = start_listener(broker.url(), fleet, count=24, seconds=60)  # 20 s + 4.1 s
    out = tmp_path / "timelines"
    result = run_cli("run", str(FACE_CLIP), str(NO_FACE_CLIP), "-o", str(out), "-j", "2",
                     *mqtt_args(broker, tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "videos run one at a time" in result.stderr
    assert finish(listener)[0] == 0
    received = read_lines(fleet)
    by_source = {}
    for m in received:
        by_source.setdefault(m["source"], []).append(m["t"])
    assert by_source[str(FACE_CLIP.resolve())] == list(range(20))
    no_face = by_source[str(NO_FACE_CLIP.resolve())]
    local = json.loads((out / "no_face.emotions.json").read_text())["seconds"]
    assert no_face == [s["t"] for s in local] == [0, 1, 2, 3]
    assert not any(m["face"] for m in received if m["source"] == str(NO_FACE_CLIP.resolve()))


def test_broker_restart_mid_run_loses_nothing(broker, tmp_path):
    """A live (camera-path) run; the broker goes away for 3 s and comes back.

    Timing: paho retries after 1, 2, 4 s, so the device is back by ~7 s after the stop,
    well before the run's 15 s end (the end flushes only while connected).
    """
    fleet = tmp_path / "fleet.jsonl"
    local = tmp_path / "live.jsonl"
    listener = start_listener(broker.url(), fleet, count=15, seconds=90)
    run = subprocess.Popen(
        [str(EDGE_EMO), "run", "--camera-file", str(FACE_CLIP), "--seconds", "14.9", "-q",
         "-o", str(local), "-f", "jsonl", *mqtt_args(broker, tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(3.5)
    broker.stop()
    time.sleep(3.0)
    broker.start()
    _, run_err = run.communicate(timeout=90)
    assert run.returncode == 0, run_err
    assert "lost the broker" in run_err and "connected to" in run_err
    code, err = finish(listener, timeout=90)
    assert code == 0, err
    sent = [line for line in read_lines(local) if line["type"] == "second"]
    received = read_lines(fleet)
    assert [m["t"] for m in received] == [s["t"] for s in sent] == list(range(15))
    assert [m["probs"] for m in received] == [s["probs"] for s in sent]


def test_last_will_says_offline_when_the_device_process_dies(broker, tmp_path):
    run = subprocess.Popen(
        [str(EDGE_EMO), "run", "--camera-file", str(FACE_CLIP), "--seconds", "30", "-q",
         *mqtt_args(broker, tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert _wait_for_status(broker, b"online"), "the device never said online"
    finally:
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=30)
    assert _wait_for_status(broker, b"offline"), "no Last Will after the process died"


def _wait_for_status(broker: Mosquitto, want: bytes, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if retained(broker, "test/pi1/status", timeout=0.5).get("test/pi1/status") == want:
            return True
    return False


def test_killed_process_queue_is_delivered_by_the_next_run(tmp_path):
    broker = Mosquitto(tmp_path / "broker")  # configured, not started: unreachable
    queue = tmp_path / "pi1.sqlite"
    run = subprocess.Popen(
        [str(EDGE_EMO), "run", "--camera-file", str(FACE_CLIP), "--seconds", "30", "-q",
         *mqtt_args(broker, tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _queued(queue) < 4:
        time.sleep(0.2)
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=30)
    queued = [json.loads(p) for (p,) in _rows(queue, "SELECT payload FROM outbox ORDER BY id")]
    assert len(queued) >= 4 and [m["t"] for m in queued] == list(range(len(queued)))

    broker.start()
    try:
        fleet = tmp_path / "fleet.jsonl"
        listener = start_listener(broker.url(), fleet, count=len(queued) + 20, seconds=60)
        result = run_cli("run", str(FACE_CLIP), "-o", str(tmp_path / "again.json"),
                         *mqtt_args(broker, tmp_path))  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert f"{len(queued)} entries queued by an earlier run" in result.stderr
        code, err = finish(listener)
        assert code == 0, err
    finally:
        broker.stop()
    received = read_lines(fleet)
    killed_run = [m for m in received if m["source"] == queued[0]["source"]]
    assert [m["t"] for m in killed_run] == [m["t"] for m in queued]
    # The old run's entries come first, byte for byte as they were queued.
    assert [
        {k: v for k, v in m.items() if k != "received_at"} for m in received[: len(queued)]
    ] == queued
    assert _queued(queue) == 0


def test_full_queue_drops_oldest_and_says_so(tmp_path):
    broker = Mosquitto(tmp_path / "broker")  # never started
    queue = tmp_path / "pi1.sqlite"
    result = run_cli("run", str(FACE_CLIP), "-o", str(tmp_path / "c.json"),
                     *mqtt_args(broker, tmp_path), "--mqtt-queue-size", "5")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "15 entries were dropped because the queue was full" in result.stderr
    assert "5 entries stay queued" in result.stderr
    payloads = [json.loads(p) for (p,) in _rows(queue, "SELECT payload FROM outbox ORDER BY id")]
    assert [m["t"] for m in payloads] == [15, 16, 17, 18, 19]
    # Consumers learn about the gap from the messages: drops before each one was queued.
    assert [m["dropped"] for m in payloads] == [10, 11, 12, 13, 14]


def test_wrong_password_is_one_clear_line(tmp_path):
    broker = Mosquitto(tmp_path / "broker", users={"pi": "right-one"}).start()
    try:
        env = {"EDGE_EMO_MQTT_PASSWORD": "wrong-one-xyz"}
        result = _cli_env(env, "run", str(FACE_CLIP), "-o", str(tmp_path / "c.json"),
                          "--mqtt", broker.url(user="pi"), "--mqtt-queue", str(tmp_path / "q.sqlite"))  # fmt: skip
        assert result.returncode == 7, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "refused" in lines[0] and "Traceback" not in result.stderr
        assert "wrong-one-xyz" not in result.stderr + result.stdout
        assert not (tmp_path / "c.json").exists()
        listen = _cli_env(env, "listen", broker.url(user="pi"), "--seconds", "5")
        assert listen.returncode == 7 and "refused" in listen.stderr
        assert len(listen.stderr.strip().splitlines()) == 1 and "wrong-one-xyz" not in listen.stderr

        password_file = tmp_path / "password"
        password_file.write_text("right-one\n")
        fleet = tmp_path / "fleet.jsonl"
        listener = subprocess.Popen(
            [str(EDGE_EMO), "listen", broker.url(user="pi"), "-o", str(fleet),
             "--count", "20", "--seconds", "60", "--password-file", str(password_file)],
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        wait_for_subscription(listener)
        ok = _cli_env({}, "run", str(FACE_CLIP), "-o", str(tmp_path / "c.json"), "-q",
                      "--mqtt", broker.url(user="pi"), "--mqtt-password-file", str(password_file),
                      "--mqtt-queue", str(tmp_path / "q.sqlite"))  # fmt: skip
        assert ok.returncode == 0, ok.stderr
        assert finish(listener)[0] == 0
        assert len(read_lines(fleet)) == 20
    finally:
        broker.stop()


def test_tls_with_a_ca_and_client_certificate(tmp_path):
    tls = make_tls(tmp_path / "pki")
    broker = Mosquitto(tmp_path / "broker", tls=tls, require_client_cert=True).start()
    try:
        certs = ["--mqtt-ca", str(tls.ca), "--mqtt-cert", str(tls.client_cert),
                 "--mqtt-key", str(tls.client_key)]  # fmt: skip
        fleet = tmp_path / "fleet.jsonl"
        listener = start_listener(broker.url(), fleet, "--ca", str(tls.ca), "--cert",
                                  str(tls.client_cert), "--key", str(tls.client_key), count=20)  # fmt: skip
        result = run_cli("run", str(FACE_CLIP), "-o", str(tmp_path / "c.json"), "-q",
                         *mqtt_args(broker, tmp_path), *certs)  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert finish(listener)[0] == 0
        assert [m["t"] for m in read_lines(fleet)] == list(range(20))

        other = make_tls(tmp_path / "other-pki")  # a CA that did not sign the server
        wrong = run_cli("run", str(FACE_CLIP), "-o", str(tmp_path / "d.json"),
                        *mqtt_args(broker, tmp_path), "--mqtt-ca", str(other.ca))  # fmt: skip
        assert wrong.returncode == 7, wrong.stderr
        assert "certificate" in wrong.stderr and len(wrong.stderr.strip().splitlines()) == 1
    finally:
        broker.stop()


def _cli_env(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "EDGE_EMO_MQTT_PASSWORD"} | env
    return subprocess.run(
        [str(EDGE_EMO), *args], capture_output=True, text=True, timeout=120, env=full
    )


def _rows(path: Path, query: str) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


def _queued(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        return _rows(path, "SELECT COUNT(*) FROM outbox")[0][0]
    except sqlite3.Error:
        return 0


def test_help_shows_the_whole_url_form():
    for command in ("run", "listen"):
        result = _cli_env({"COLUMNS": "200"}, command, "--help")
        assert result.returncode == 0
        assert "mqtt[s]://[user@]host[:port]/PREFIX" in " ".join(result.stdout.split()), command
