"""MQTT fleets without a broker: URL and secrets, the on-disk queue, de-duplication, messages.

The same parts against a real Mosquitto: test_mqtt.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_runtime.errors import InputError, OutputError
from edge_runtime.mqtt.broker import BrokerAddress, ConnectionOptions
from edge_runtime.mqtt.listen import Deduplicator
from edge_runtime.mqtt.messages import MessageKey, emotion_message, ha_discovery, message_key
from edge_runtime.mqtt.outbox import DEFAULT_MAX_MESSAGES, Outbox
from edge_runtime.timeline import SecondEntry


def test_broker_url_parsing():
    a = BrokerAddress.from_url("mqtt://pi@broker.local/site/kitchen")
    assert (a.host, a.port, a.tls, a.prefix, a.username) == (
        "broker.local", 1883, False, "site/kitchen", "pi",
    )  # fmt: skip
    b = BrokerAddress.from_url("mqtts://10.0.0.2:8884")
    assert (b.port, b.tls, b.prefix, b.username) == (8884, True, "edge-emo", None)
    for bad, words in [
        ("http://host/x", "expected mqtt://"),
        ("mqtt://u:secret@host/x", "do not put the password in the URL"),
        ("mqtt://host:port/x", "port must be a number"),
        ("mqtt:///x", "no host"),
        ("mqtt://host/a/+/b", "must be non-empty"),
        ("mqtt://host/a/#", "must not contain"),
    ]:
        with pytest.raises(InputError, match=words) as info:
            BrokerAddress.from_url(bad)
        assert "secret" not in str(info.value)


def test_password_is_not_in_repr():
    options = ConnectionOptions(BrokerAddress.from_url("mqtt://u@h/p"), "id", password="hunter2")
    assert "hunter2" not in repr(options)


def test_outbox_is_a_persistent_fifo(tmp_path):
    path = tmp_path / "q.sqlite"
    with Outbox(path, max_messages=100) as box:
        for i in range(5):
            box.put("a/b", f"m{i}".encode())
        first = box.after(0, 2)
        assert [m.payload for m in first] == [b"m0", b"m1"]
        box.remove([first[0].id])
    with Outbox(path, max_messages=100) as box:  # a new process would see the same
        assert [m.payload for m in box.after(0, 10)] == [b"m1", b"m2", b"m3", b"m4"]
        assert len(box) == 4 and box.dropped == 0


def test_outbox_full_drops_oldest_and_counts(tmp_path):
    with Outbox(tmp_path / "q.sqlite", max_messages=3) as box:
        dropped = [box.put("t", f"m{i}".encode()) for i in range(7)]
        assert dropped == [0, 0, 0, 1, 1, 1, 1]
        assert [m.payload for m in box.after(0, 10)] == [b"m4", b"m5", b"m6"]
        assert box.dropped == 4
    with Outbox(tmp_path / "q.sqlite", max_messages=3) as box:
        assert box.dropped == 4  # the count survives restarts too


def test_outbox_row_count_stays_exact(tmp_path):
    """The count is kept in memory (a COUNT(*) per put scanned the table); it must not drift."""
    import random

    rng = random.Random(3)
    with Outbox(tmp_path / "q.sqlite", max_messages=50) as box:
        for _ in range(400):
            if rng.random() < 0.7:
                box.put("t", b"m")
            else:
                rows = box.after(0, rng.randint(1, 10))
                box.remove([m.id for m in rows if rng.random() < 0.8] + [10**9])  # + unknown id
            assert len(box) == box._count() <= 50


def test_outbox_is_used_by_one_process_at_a_time(tmp_path):
    with Outbox(tmp_path / "q.sqlite"), pytest.raises(OutputError, match="another edge-emo"):
        Outbox(tmp_path / "q.sqlite")


def test_unusable_queue_paths_are_clear_errors(tmp_path):
    with pytest.raises(OutputError, match="cannot create the MQTT queue"):
        Outbox(Path("/proc/edge-emo/q.sqlite"))
    not_sqlite = tmp_path / "q.sqlite"
    not_sqlite.write_text("this is not a database\n" * 100)
    with pytest.raises(OutputError, match="not a usable MQTT queue"):
        Outbox(not_sqlite)


def test_default_queue_bound_is_what_the_cli_says():
    from edge_runtime.cli import DEFAULT_QUEUE_SIZE

    assert DEFAULT_QUEUE_SIZE == DEFAULT_MAX_MESSAGES


def test_deduplicator_keeps_first_of_each_key_in_bounded_memory():
    d = Deduplicator(horizon=10)
    key = lambda device, source, t, track=None: MessageKey(device, source, track, t)  # noqa: E731
    assert [d.is_new(key("a", "s", t)) for t in (0, 1, 1, 2, 0)] == [True, True, False, True, False]
    assert d.is_new(key("b", "s", 1)) and d.is_new(key("a", "other run", 1))
    # each person of a several-faces run is a stream of their own
    assert d.is_new(key("a", "s", 1, track=1)) and d.is_new(key("a", "s", 1, track=2))
    assert not d.is_new(key("a", "s", 1, track=2))
    for t in range(3, 200):
        assert d.is_new(key("a", "s", t))
    assert not d.is_new(key("a", "s", 5))  # far below the newest: a replay
    assert max(len(seen) for _, seen in d._streams.values()) <= 20


def _entry(t: int, face: bool = True) -> SecondEntry:
    probs = {"neutral": 0.25, "happiness": 0.75} if face else None
    return SecondEntry(t, face, probs, "happiness" if face else None, 0.75 if face else None,
                       30, 30, 1)  # fmt: skip


def test_emotion_message_carries_its_key_and_the_synthetic_flag():
    m = emotion_message(
        _entry(7), device="pi1", source="camera:0@x", model={"name": "m", "synthetic": True}
    )
    assert message_key(m) == ("pi1", "camera:0@x", None, 7)
    assert m["synthetic"] is True and m["probs"]["happiness"] == 0.75 and m["at"] > 1.7e9


def test_home_assistant_discovery_config():
    topic, config = ha_discovery("site", "pi-1.kitchen", {"name": "m", "synthetic": True})
    assert topic == "homeassistant/sensor/edge_emo_pi_1_kitchen/emotion/config"
    assert config["state_topic"] == "site/pi-1.kitchen/emotion"
    assert config["availability_topic"] == "site/pi-1.kitchen/status"
    assert "synthetic" in config["name"]
    assert config["unique_id"] == "edge_emo_pi_1_kitchen_emotion"
    assert config["default_entity_id"] == "sensor.edge_emo_pi_1_kitchen_emotion"
    assert "object_id" not in config  # removed from Home Assistant in 2026.4
