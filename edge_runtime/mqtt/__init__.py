"""Fleets over MQTT: publish per-second entries durably, and collect them from many devices.

`broker` parses the URL and builds the paho-mqtt client, `outbox` is the on-disk queue,
`messages` is the wire format, `publisher` moves queued entries to the broker, and
`listen` is the fleet consumer behind `edge-emo listen`.
"""
