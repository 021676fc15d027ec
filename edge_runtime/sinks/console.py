"""A human line per second on the terminal, for live camera runs."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from edge_runtime.timeline import SecondEntry


class ConsoleSink:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def open(self, header: dict[str, Any]) -> None:
        model = header["model"]
        note = " - trained on SYNTHETIC data, not real faces" if model.get("synthetic") else ""
        self.stream.write(f"# {model['name']}{note}; Ctrl-C to stop\n")
        self.stream.flush()

    def write(self, entry: SecondEntry) -> None:
        who = "" if entry.track is None else f"face {entry.track:<3d} "
        if not entry.face or not entry.probs:
            line = f"{entry.t:6d}s  {who}no face"
        else:
            ranked = sorted(entry.probs.items(), key=lambda kv: -kv[1])[:3]
            line = f"{entry.t:6d}s  {who}{entry.top:<9} {entry.confidence:4.2f}   " + "  ".join(
                f"{k} {v:.2f}" for k, v in ranked[1:]
            )
        self.stream.write(line + "\n")
        self.stream.flush()

    def close(self, footer: dict[str, Any]) -> None:
        self.stream.flush()

    def abort(self) -> None:
        self.stream.flush()
