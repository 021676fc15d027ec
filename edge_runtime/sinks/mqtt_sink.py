"""The MQTT sink: each finished second becomes one QoS 1 message on PREFIX/<device>/emotion.

The connection and the on-disk queue belong to a `MqttPublisher` that lives for the whole
command (several videos share it); this sink only turns entries into messages.
"""

from __future__ import annotations

from typing import Any

from edge_runtime.mqtt.messages import emotion_message, emotion_topic, encode
from edge_runtime.mqtt.publisher import MqttPublisher
from edge_runtime.timeline import SecondEntry


class MqttSink:
    def __init__(self, publisher: MqttPublisher) -> None:
        self.publisher = publisher
        self.topic = emotion_topic(publisher.prefix, publisher.options.device)
        self._source = ""
        self._model: dict[str, Any] = {}

    def open(self, header: dict[str, Any]) -> None:
        self._source = str(header["source"]["id"])
        self._model = dict(header.get("model", {}))
        self.publisher.announce(header)

    def write(self, entry: SecondEntry) -> None:
        message = emotion_message(
            entry,
            device=self.publisher.options.device,
            source=self._source,
            model=self._model,
            dropped=self.publisher.dropped,
        )
        self.publisher.publish(self.topic, encode(message))

    def close(self, footer: dict[str, Any]) -> None:
        """Nothing to finish: every second is already queued on disk."""

    def abort(self) -> None:
        """Seconds already queued are real results; they stay queued and get delivered."""
