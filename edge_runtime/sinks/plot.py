"""Timeline PNG: stacked class probabilities over time, seconds without a face shaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.atomic import atomic_open
from edge_runtime.errors import DependencyError
from edge_runtime.timeline import SecondEntry

COLOURS = {
    "neutral": "#9e9e9e",
    "happiness": "#f4c430",
    "sadness": "#4a78c2",
    "anger": "#d1423f",
    "fear": "#8e5bb5",
    "disgust": "#5a9e4b",
    "surprise": "#f08a3c",
}


class PlotSink:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: list[SecondEntry] = []
        self._header: dict[str, Any] = {}

    def open(self, header: dict[str, Any]) -> None:
        self._header = header

    def write(self, entry: SecondEntry) -> None:
        self._entries.append(entry)

    def close(self, footer: dict[str, Any]) -> None:
        render_timeline(self._entries, self._header, self.path)

    def abort(self) -> None:
        self._entries.clear()


def render_timeline(entries: list[SecondEntry], header: dict[str, Any], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise DependencyError("--plot needs matplotlib: pip install matplotlib") from None
    labels = list(header["labels"])
    n = len(entries)
    probs = np.zeros((len(labels), n))
    for i, entry in enumerate(entries):
        if entry.probs:
            probs[:, i] = [entry.probs[k] for k in labels]
    t = np.arange(n + 1)
    fig, ax = plt.subplots(figsize=(max(6.0, min(18.0, 0.25 * n + 4)), 3.4), dpi=120)
    bottom = np.zeros(n)
    for k, label in enumerate(labels):
        ax.stairs(
            bottom + probs[k], t, baseline=bottom, fill=True, color=COLOURS.get(label), label=label
        )
        bottom += probs[k]
    for i, entry in enumerate(entries):
        if not entry.face:
            ax.axvspan(
                i,
                i + 1,
                color="#000000",
                alpha=0.12,
                lw=0,
                label="no face" if i == 0 or all(e.face for e in entries[:i]) else None,
            )
    ax.set_xlim(0, max(n, 1))
    ax.set_ylim(0, 1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("probability")
    source = Path(header.get("source", {}).get("path", "")).name or "camera"
    model = header["model"]
    note = "  [model trained on SYNTHETIC data, not real faces]" if model.get("synthetic") else ""
    ax.set_title(f"{source} - {model['name']}{note}", fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    with atomic_open(path, "wb") as handle:
        fig.savefig(handle, format="png")
    plt.close(fig)
