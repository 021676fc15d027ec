"""Per-second timeline assembly from window predictions."""

from __future__ import annotations

import numpy as np
import pytest

from edge_runtime.features.windowing import Window
from edge_runtime.labels import LABELS
from edge_runtime.timeline import SecondEntry, Smoother, TimelineAssembler, reject_unsure

ONE_HOT = np.eye(len(LABELS))


def feed(assembler: TimelineAssembler, faces: list[bool], windows: dict[int, np.ndarray | None]):
    """Push per-frame face flags; after frame i (1-based count) push windows[count] if present."""
    out = []
    for i, face in enumerate(faces, start=1):
        assembler.add_frame(face)
        if i in windows:
            start = max(0, i - 90)
            probs = windows[i]
            points = np.zeros((90, 68, 2)) if probs is not None else None
            assembler.add_window(Window(start, i - start, points, 0, 90 - (i - start)), probs)
        out += assembler.pop_ready()
    return out + assembler.finish()


def test_centred_seconds_average_every_covering_full_window():
    a = TimelineAssembler(list(LABELS), 30, 90, "centred")
    windows = {90: ONE_HOT[1], 120: ONE_HOT[3], 150: ONE_HOT[3]}
    entries = feed(a, [True] * 150, windows)
    assert [e.t for e in entries] == [0, 1, 2, 3, 4]
    assert entries[0].probs["happiness"] == pytest.approx(1.0)  # only window 0-90 covers second 0
    assert entries[2].probs["happiness"] == pytest.approx(1 / 3)  # windows ending 90, 120, 150
    assert entries[2].probs["anger"] == pytest.approx(2 / 3)
    assert entries[4].top == "anger" and entries[4].windows == 1
    for e in entries:
        assert sum(e.probs.values()) == pytest.approx(1.0)


def test_seconds_without_a_face_have_null_probabilities():
    a = TimelineAssembler(list(LABELS), 30, 90, "centred")
    faces = [True] * 30 + [False] * 30 + [True] * 30
    entries = feed(a, faces, {90: ONE_HOT[2]})
    assert [e.face for e in entries] == [True, False, True]
    assert entries[1].probs is None and entries[1].top is None and entries[1].confidence is None
    assert entries[1].face_frames == 0 and entries[1].frames == 30


def test_causal_seconds_are_ready_when_they_end():
    a = TimelineAssembler(list(LABELS), 30, 90, "causal")
    ready_after = {}
    for i in range(1, 121):
        a.add_frame(True)
        if i % 30 == 0:
            start = max(0, i - 90)
            a.add_window(
                Window(start, i - start, np.zeros((90, 68, 2)), 0, 0), ONE_HOT[i // 30 % 7]
            )
        for e in a.pop_ready():
            ready_after[e.t] = i
    assert ready_after == {0: 30, 1: 60, 2: 90, 3: 120}


def test_partial_last_second_is_reported():
    a = TimelineAssembler(list(LABELS), 30, 90, "centred")
    entries = feed(a, [True] * 100, {90: ONE_HOT[0], 100: ONE_HOT[0]})
    assert [e.t for e in entries] == [0, 1, 2, 3]
    assert entries[-1].frames == 10


def test_smoother_halves_old_evidence_and_resets_without_face():
    a = TimelineAssembler(list(LABELS), 30, 90, "causal")
    smooth = Smoother(0.5)
    entries = feed(a, [True] * 60, {30: ONE_HOT[1], 60: ONE_HOT[3]})
    first, second = smooth(entries[0]), smooth(entries[1])
    assert first.probs["happiness"] == pytest.approx(1.0)
    assert second.probs["happiness"] == pytest.approx(0.5) and second.probs[
        "anger"
    ] == pytest.approx(0.5)


def second(probs: list[float] | None) -> SecondEntry:
    """A finished second with these probabilities (label order), as the assembler makes it."""
    if probs is None:
        return SecondEntry(0, False, None, None, None, 0, 30, 0)
    top = int(np.argmax(probs))
    return SecondEntry(
        0, True, dict(zip(LABELS, probs, strict=True)), LABELS[top], probs[top], 30, 30, 2
    )


def test_an_unsure_second_reads_the_reject_label_and_keeps_its_probabilities():
    """The reject option: a top class under the threshold reads `to`, with `to`'s own
    probability as the confidence; a sure top, a top that already is `to`, and a second
    without a face are left as they are."""
    unsure = [0.2, 0.05, 0.3, 0.25, 0.1, 0.05, 0.05]  # sadness 0.30 on top
    entry = reject_unsure(second(unsure), 0.4, "neutral")
    assert (entry.top, entry.confidence) == ("neutral", 0.2)
    assert list(entry.probs.values()) == unsure  # the model's reading stays visible
    sure = [0.1, 0.05, 0.45, 0.2, 0.1, 0.05, 0.05]
    assert reject_unsure(second(sure), 0.4, "neutral").top == "sadness"
    at = [0.1, 0.05, 0.4, 0.25, 0.1, 0.05, 0.05]  # exactly at the threshold: kept
    assert reject_unsure(second(at), 0.4, "neutral").top == "sadness"
    neutral = [0.3, 0.1, 0.2, 0.2, 0.1, 0.05, 0.05]
    assert reject_unsure(second(neutral), 0.4, "neutral").confidence == 0.3
    assert reject_unsure(second(unsure), 0.4, "anger").top == "anger"  # any label may be `to`
    assert reject_unsure(second(None), 0.4, "neutral").top is None
