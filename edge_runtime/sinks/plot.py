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


MAX_PANELS = 12  # people drawn in one PNG (those with the most face seconds)


def render_timeline(entries: list[SecondEntry], header: dict[str, Any], path: Path) -> None:
    """The PNG: one panel, or with several faces one panel per person on the video's clock."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise DependencyError("--plot needs matplotlib: pip install matplotlib") from None
    labels = list(header["labels"])
    panels: dict[int | None, list[SecondEntry]] = {}
    for entry in entries:
        panels.setdefault(entry.track, []).append(entry)
    if not panels:
        panels[None] = []
    shown = sorted(panels, key=lambda k: -sum(e.face for e in panels[k]))[:MAX_PANELS]
    shown.sort(key=lambda k: -1 if k is None else k)
    n = max((e.t + 1 for e in entries), default=0)
    width = max(6.0, min(18.0, 0.25 * n + 4))
    fig, axes = plt.subplots(
        len(shown), 1, figsize=(width, 0.6 + 2.8 * len(shown)), dpi=120, sharex=True,
        squeeze=False,
    )  # fmt: skip
    for ax, key in zip(axes[:, 0], shown, strict=True):
        _draw_panel(ax, panels[key], labels)
        ax.set_ylabel("probability" if key is None else f"face {key}")
    ax.set_xlim(0, max(n, 1))
    ax.set_xlabel("time (s)")
    source = Path(header.get("source", {}).get("path", "")).name or "camera"
    model = header["model"]
    note = "  [model trained on SYNTHETIC data, not real faces]" if model.get("synthetic") else ""
    more = (
        f"  ({len(panels) - len(shown)} more people not drawn)" if len(panels) > len(shown) else ""
    )
    axes[0, 0].set_title(f"{source} - {model['name']}{note}{more}", fontsize=9)
    axes[0, 0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    with atomic_open(path, "wb") as handle:
        fig.savefig(handle, format="png")
    plt.close(fig)


def _draw_panel(ax, entries: list[SecondEntry], labels: list[str]) -> None:
    """Stacked probabilities per second; seconds without a face shaded."""
    probs = np.zeros((len(labels), len(entries)))
    for i, entry in enumerate(entries):
        if entry.probs:
            probs[:, i] = [entry.probs[k] for k in labels]
    t0 = entries[0].t if entries else 0
    t = np.arange(t0, t0 + len(entries) + 1)
    bottom = np.zeros(len(entries))
    for k, label in enumerate(labels):
        ax.stairs(
            bottom + probs[k], t, baseline=bottom, fill=True, color=COLOURS.get(label), label=label
        )
        bottom += probs[k]
    shaded = False
    for entry in entries:
        if not entry.face:
            label = None if shaded else "no face"
            ax.axvspan(entry.t, entry.t + 1, color="#000000", alpha=0.12, lw=0, label=label)
            shaded = True
    ax.set_ylim(0, 1)
