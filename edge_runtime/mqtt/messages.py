"""What goes on the wire: topic names, the per-second emotion message, Home Assistant config.

Topics under one PREFIX, one subtree per device:
- `PREFIX/<device>/emotion`: one JSON message per second, QoS 1, not retained;
- `PREFIX/<device>/status`: `online` / `offline` (retained; `offline` is the Last Will);
- `PREFIX/<device>/header`: the current run's timeline header (retained): model, labels,
  window, and the synthetic-training notice where it applies.

Delivery is at-least-once, so every emotion message carries its key (device, source, t):
`source` names one stream (a file path, or a camera plus the time it was opened) and `t`
the second within it. With several faces (`--max-faces`) each person's second is its own
message (schema_version 2) with `track` and `box`, and the key is (device, source, track,
t). A consumer keeps the first message per key.
"""

from __future__ import annotations

import json
import time
from typing import Any, NamedTuple

from edge_runtime import __version__
from edge_runtime.timeline import SecondEntry

SCHEMA = "edge-emo/emotion"
SCHEMA_VERSION = 1
SCHEMA_VERSION_TRACKS = 2  # a message per person and second, with `track` and `box`
HA_DISCOVERY_PREFIX = "homeassistant"


def emotion_topic(prefix: str, device: str) -> str:
    return f"{prefix}/{device}/emotion"


def status_topic(prefix: str, device: str) -> str:
    return f"{prefix}/{device}/status"


def header_topic(prefix: str, device: str) -> str:
    return f"{prefix}/{device}/header"


def emotion_message(
    entry: SecondEntry, *, device: str, source: str, model: dict[str, Any], dropped: int = 0
) -> dict[str, Any]:
    """One second as a self-describing message; `dropped` counts queue-full losses so far."""
    message = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION if entry.track is None else SCHEMA_VERSION_TRACKS,
        "device": device,
        "source": source,
        **entry.to_dict(),
        "at": round(time.time(), 3),
        "model": model.get("name"),
        "synthetic": bool(model.get("synthetic")),
        "dropped": dropped,
    }
    return message


class MessageKey(NamedTuple):
    """What makes a message unique: one stream (device, source, track) and its second."""

    device: str
    source: str
    track: int | None
    t: int


def message_key(message: dict[str, Any]) -> MessageKey:
    """The de-duplication key; KeyError/TypeError/ValueError if the message is not ours."""
    track = message.get("track")
    return MessageKey(
        str(message["device"]),
        str(message["source"]),
        None if track is None else int(track),
        int(message["t"]),
    )


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


def ha_discovery(
    prefix: str, device: str, model: dict[str, Any], discovery_prefix: str = HA_DISCOVERY_PREFIX
) -> tuple[str, dict[str, Any]]:
    """Home Assistant MQTT discovery: the device appears as one sensor, no YAML needed.

    State = the top emotion ('no face' when none), attributes = the probabilities,
    available while the status topic says `online`.
    """
    object_id = "edge_emo_" + "".join(c if c.isalnum() else "_" for c in device)
    name = "Emotion" + (" (synthetic model)" if model.get("synthetic") else "")
    config = {
        "name": name,
        "unique_id": f"{object_id}_emotion",
        # `default_entity_id` replaced `object_id` in Home Assistant 2025.10 (gone in 2026.4).
        "default_entity_id": f"sensor.{object_id}_emotion",
        "state_topic": emotion_topic(prefix, device),
        "value_template": "{{ value_json.top if value_json.face else 'no face' }}",
        "json_attributes_topic": emotion_topic(prefix, device),
        "json_attributes_template": "{{ (value_json.probs or {}) | tojson }}",
        "availability_topic": status_topic(prefix, device),
        "payload_available": "online",
        "payload_not_available": "offline",
        "icon": "mdi:emoticon-outline",
        "device": {
            "identifiers": [object_id],
            "name": f"edge-emo {device}",
            "manufacturer": "edge-emo",
            "model": str(model.get("name")),
            "sw_version": __version__,
        },
        "origin": {"name": "edge-emo", "sw_version": __version__},
    }
    return f"{discovery_prefix}/sensor/{object_id}/emotion/config", config
