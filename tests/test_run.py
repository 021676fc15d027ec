"""`edge-emo run`: timelines of real clips, the camera path, batches and outputs."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import shutil

import numpy as np
import pytest
from conftest import DATA, FACE_CLIP, NO_FACE_CLIP, run_cli

from edge_runtime.assets import default_model_path
from edge_runtime.features.baseline import BASELINE_METHOD
from edge_runtime.labels import LABELS
from edge_runtime.model.metadata import load_metadata, write_metadata
from edge_runtime.sources.video import read_video

VFR_CLIP = DATA / "vfr_24_12fps.mp4"  # 3 s at 24 fps, then 12 fps (made with ffmpeg from FACE_CLIP)


def duration(path) -> float:
    frames = list(read_video(path))
    return frames[-1].timestamp_s + (frames[-1].timestamp_s - frames[0].timestamp_s) / (
        len(frames) - 1
    )


def check_timeline(doc: dict, path) -> None:
    assert doc["schema"] == "edge-emo/timeline" and doc["schema_version"] == 1
    assert doc["labels"] == list(LABELS)
    # The default model learned from real faces; it says so, and which terms it inherits.
    assert doc["model"]["sha256"] and doc["model"]["synthetic"] is False and "notice" not in doc
    assert "non-commercial" in doc["model"]["licence"]
    meta = load_metadata(default_model_path())
    assert doc["model"].get("class_prior", {}) == meta.class_prior  # what the probs carry
    assert doc["model"].get("reject", {}) == meta.reject  # how an unsure second reads
    assert doc["window"]["frames"] == meta.window  # 30: 1 s
    assert doc["window"]["fps"] == 30
    seconds = doc["seconds"]
    assert len(seconds) == math.ceil(duration(path) - 1e-6)
    assert [s["t"] for s in seconds] == list(range(len(seconds)))
    for s in seconds:
        if s["face"]:
            probs = s["probs"]
            assert list(probs) == list(LABELS) and sum(probs.values()) == pytest.approx(
                1.0, abs=1e-5
            )
            assert all(0 <= p <= 1 for p in probs.values())
            most = max(probs, key=probs.get)
            if meta.reject and most != meta.reject["to"] and probs[most] < meta.reject["below"]:
                most = meta.reject["to"]  # unsure: the reject option's reading
            assert s["top"] == most and s["confidence"] == probs[s["top"]]
        else:
            assert s["probs"] is None and s["top"] is None


@pytest.fixture(scope="module")
def face_timeline(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "face.json"
    result = run_cli("run", str(FACE_CLIP), "-o", str(out), "--plot", "-q")
    assert result.returncode == 0, result.stderr
    return out


def test_real_clip_timeline(face_timeline):
    doc = json.loads(face_timeline.read_text())
    check_timeline(doc, FACE_CLIP)
    assert sum(s["face"] for s in doc["seconds"]) >= len(doc["seconds"]) - 1
    assert doc["duration_s"] == pytest.approx(duration(FACE_CLIP), abs=0.05)
    png = face_timeline.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_no_face_clip_is_all_face_false(tmp_path):
    out = tmp_path / "none.json"
    result = run_cli("run", str(NO_FACE_CLIP), "-o", str(out), "-q")
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    check_timeline(doc, NO_FACE_CLIP)
    assert doc["seconds"] and not any(s["face"] for s in doc["seconds"])


def test_variable_frame_rate_clip(tmp_path):
    out = tmp_path / "vfr.json"
    result = run_cli("run", str(VFR_CLIP), "-o", str(out), "-q")
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    check_timeline(doc, VFR_CLIP)
    assert len(doc["seconds"]) == 7 and all(s["face"] for s in doc["seconds"])
    # Every second holds 30 resampled frames whatever the source rate (24, then 12 fps).
    assert [s["frames"] for s in doc["seconds"][:6]] == [30] * 6


def test_csv_and_jsonl_formats(tmp_path, face_timeline):
    reference = json.loads(face_timeline.read_text())["seconds"]
    out = tmp_path / "face.csv"
    assert run_cli("run", str(FACE_CLIP), "-f", "csv", "-o", str(out), "-q").returncode == 0
    rows = list(csv.DictReader(out.open()))
    model = json.loads(face_timeline.read_text())["model"]
    assert len(rows) == len(reference) and rows[0]["training_data"] == model["training_data"]
    assert float(rows[3]["p_happiness"]) == pytest.approx(
        reference[3]["probs"]["happiness"], abs=1e-6
    )
    stdout = run_cli("run", str(FACE_CLIP), "-f", "jsonl", "-o", "-", "-q")
    lines = [json.loads(line) for line in stdout.stdout.splitlines()]
    assert [x["type"] for x in (lines[0], lines[-1])] == ["header", "end"]
    assert [x["t"] for x in lines[1:-1]] == [s["t"] for s in reference]


def test_camera_path_fed_from_a_file_in_real_time(tmp_path):
    out = tmp_path / "live.jsonl"
    result = run_cli(
        "run",
        "--camera-file",
        str(FACE_CLIP),
        "--seconds",
        "5",
        "-f",
        "jsonl",
        "-o",
        str(out),
        "-q",
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    seconds = [x for x in lines if x["type"] == "second"]
    assert lines[0]["window"]["mode"] == "causal" and lines[0]["window"]["smoothing_alpha"] == 0.5
    assert [s["t"] for s in seconds] == [0, 1, 2, 3, 4]  # --seconds 5: frames up to t = 5 s
    assert all(s["face"] for s in seconds)
    for s in seconds:
        if s["face"]:
            assert sum(s["probs"].values()) == pytest.approx(1.0, abs=1e-5)


def test_batch_with_one_corrupt_file(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "a_noface.mp4").write_bytes(NO_FACE_CLIP.read_bytes())
    (videos / "b_corrupt.mp4").write_bytes(b"\x00" * 4096)
    out = tmp_path / "out"
    result = run_cli("run", str(videos), "-o", str(out), "-j", "2")
    assert result.returncode == 1
    assert "b_corrupt.mp4" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a_noface.emotions.json"]
    again = run_cli("run", str(videos), "-o", str(out), "-q")
    assert "b_corrupt.mp4" in again.stderr  # finished videos are skipped, the bad one is retried


def test_unwritable_output_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")  # a file where a folder should be: fails even for root
    result = run_cli("run", str(NO_FACE_CLIP), "-o", str(blocker / "x.json"))
    assert result.returncode == 4, result.stderr
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr
    if os.geteuid() != 0:  # permissions bind ordinary users only
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        result = run_cli("run", str(NO_FACE_CLIP), "-o", str(locked / "x.json"))
        assert result.returncode == 4 and not list(locked.iterdir())


def test_timeline_probabilities_follow_the_model(face_timeline):
    """The per-second probabilities are averages of real model outputs, not placeholders."""
    doc = json.loads(face_timeline.read_text())
    probs = np.array([[s["probs"][k] for k in LABELS] for s in doc["seconds"] if s["face"]])
    assert probs.std(axis=0).max() > 1e-3  # they vary over the clip


@pytest.mark.parametrize("frames, answered", [(20, True), (12, False)])
def test_clip_shorter_than_a_window_still_gets_a_timeline(tmp_path, frames, answered):
    """Under the default's 1 s window: 0.83 s of face (25 frames at 30 fps) is padded into a
    window, 0.5 s is too short; either way a timeline that says so, not an error."""
    import cv2

    short = tmp_path / "short.mp4"
    writer = cv2.VideoWriter(str(short), cv2.VideoWriter_fourcc(*"mp4v"), 24.0, (640, 360))
    for frame in list(read_video(FACE_CLIP))[:frames]:
        writer.write(frame.image)
    writer.release()
    out = tmp_path / "short.json"
    result = run_cli("run", str(short), "-o", str(out), "-q")
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    check_timeline(doc, short)
    (second,) = doc["seconds"]
    assert second["face_frames"] > 0
    assert second["face"] is answered and second["windows"] == int(answered)
    assert doc["window"]["short_clip_padding"] == (
        "clips shorter than 30 frames are padded by holding their first and last frames"
        " (at least 24 tracked frames needed)"
    )


def test_a_model_whose_sidecar_names_a_baseline_is_run_with_it(tmp_path):
    """The per-person running baseline is a sidecar choice: `run` applies it to every window
    of the face (the probabilities move), the timeline keeps its seconds and faces."""
    model = tmp_path / "with-baseline.tflite"
    shutil.copy(default_model_path(), model)
    meta = load_metadata(default_model_path())
    meta.normalisation = dataclasses.replace(meta.normalisation, baseline=BASELINE_METHOD)
    write_metadata(model, meta)
    seconds = {}
    for name, path in (("plain", default_model_path()), ("baseline", model)):
        out = tmp_path / f"{name}.json"
        result = run_cli("run", str(FACE_CLIP), "-m", str(path), "-o", str(out))
        assert result.returncode == 0, result.stderr[-2000:]
        seconds[name] = json.loads(out.read_text())["seconds"]
    plain, shifted = seconds["plain"], seconds["baseline"]
    assert [s["face"] for s in plain] == [s["face"] for s in shifted]
    moved = [
        max(abs(a["probs"][k] - b["probs"][k]) for k in LABELS)
        for a, b in zip(plain, shifted, strict=True)
        if a["face"]
    ]
    assert len(moved) >= 15 and sum(m > 0.01 for m in moved) >= len(moved) // 2, moved
