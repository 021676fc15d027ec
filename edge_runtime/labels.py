"""The emotion label set: one definition shared by training, conversion and inference."""

from __future__ import annotations

LABELS: tuple[str, ...] = (
    "neutral",
    "happiness",
    "sadness",
    "anger",
    "fear",
    "disgust",
    "surprise",
)
"""The 7 classes, in the order of the model's output vector."""

NUM_CLASSES = len(LABELS)


def label_index(name: str) -> int:
    """Index of `name` in LABELS; raises ValueError naming the valid labels."""
    try:
        return LABELS.index(name)
    except ValueError:
        raise ValueError(f"unknown label {name!r}; expected one of {', '.join(LABELS)}") from None
