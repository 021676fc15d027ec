"""The bad-input matrix: every case gives one line naming the file, a documented exit
code, no traceback and no output left behind.

Runtime commands run as the installed console script; the training-side commands run
in-process through Typer's test runner (same code path, TensorFlow imported once).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from conftest import FACE_CLIP, NO_FACE_CLIP, needs_tf, run_cli
from typer.testing import CliRunner

from edge_runtime.assets import default_model_path
from edge_runtime.cli import app
from edge_runtime.errors import InputError, ModelError, OutputError

INPUT, MODEL, OUTPUT = InputError.exit_code, ModelError.exit_code, OutputError.exit_code


def one_line_error(stderr: str, *names: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1 and lines[0].startswith("edge-emo: error:"), stderr
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def write_video(path, frames: list[np.ndarray], fps: float = 24.0):
    import cv2

    height, width = frames[0].shape[:2] if frames else (64, 64)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope="module")
def bad_videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad_videos")
    (root / "text.mp4").write_text("this is not a video\n")
    (root / "empty.mp4").write_bytes(b"")
    data = FACE_CLIP.read_bytes()
    (root / "truncated.mp4").write_bytes(data[: len(data) // 50])
    write_video(root / "zero_frames.mp4", [])
    # 8K (7680x4320) is the largest frame accepted; this one is a little larger.
    write_video(root / "huge_8k.mp4", [np.zeros((4336, 7712, 3), np.uint8)])
    (root / "a_folder.mp4").mkdir()
    return root


VIDEO_CASES = ["missing", "text", "empty", "truncated", "zero_frames", "huge_8k", "a_folder"]


@pytest.mark.parametrize("command", ["extract", "run"])
@pytest.mark.parametrize("case", VIDEO_CASES)
def test_bad_videos(tmp_path, bad_videos, command, case):
    source = bad_videos / f"{case}.mp4"
    out = tmp_path / "out"
    out.mkdir()
    target = out / ("x.csv" if command == "extract" else "x.json")
    result = run_cli(command, str(source), "-o", str(target))
    assert result.returncode == INPUT, result.stderr
    line = one_line_error(result.stderr, f"{case}.mp4")
    if case == "huge_8k":
        assert "larger than 8K" in line
    assert list(out.iterdir()) == []


def test_video_without_a_face_is_not_an_error_but_says_so(tmp_path):
    result = run_cli("extract", str(NO_FACE_CLIP), "-o", str(tmp_path / "x.csv"))
    assert result.returncode == 0 and "0 with a face" in result.stdout + result.stderr


@pytest.fixture
def tampered_models(tmp_path):
    """Copies of the default model, each broken in one way, with their sidecars."""
    model = default_model_path()
    meta = json.loads(model.with_suffix(".json").read_text())

    def copy(name: str, data: bytes | None = None, **changes) -> None:
        (tmp_path / f"{name}.tflite").write_bytes(data if data is not None else model.read_bytes())
        (tmp_path / f"{name}.json").write_text(json.dumps(meta | changes))

    copy("not_a_flatbuffer", b"\x00garbage" * 64, sha256=None)
    raw = bytearray(model.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    copy("hash_mismatch", bytes(raw))
    copy("wrong_labels", labels=meta["labels"][:6])
    copy("wrong_window", window=60)
    return tmp_path


@pytest.mark.parametrize(
    ("case", "code", "message"),
    [
        ("not_a_flatbuffer", MODEL, "not_a_flatbuffer"),
        ("hash_mismatch", MODEL, "sha256"),
        ("wrong_labels", MODEL, "labels"),
        ("wrong_window", MODEL, "window"),
    ],
)
def test_bad_models_are_refused_by_run(tmp_path, tampered_models, case, code, message):
    out = tmp_path / "out"
    result = run_cli(
        "run", str(NO_FACE_CLIP), "--model", str(tampered_models / f"{case}.tflite"),
        "-o", str(out / "x.json"),
    )  # fmt: skip
    assert result.returncode == code, result.stderr
    one_line_error(result.stderr, message)
    assert not out.exists() or list(out.iterdir()) == []


def test_read_only_output_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    blocker = locked / "sub"
    blocker.write_text("a file where the output folder should be")
    for command, name in (("extract", "x.csv"), ("run", "x.json")):
        result = run_cli(command, str(NO_FACE_CLIP), "-o", str(blocker / name))
        assert result.returncode == OUTPUT, result.stderr
        one_line_error(result.stderr, str(blocker))
    assert sorted(p.name for p in locked.iterdir()) == ["sub"]


# --------------------------------------------------------------------------- training side

HEADER_ONLY = "frame, timestamp, confidence, success, " + ", ".join(
    [f"x_{i}" for i in range(68)] + [f"y_{i}" for i in range(68)]
)


def broken_dataset(synth_dir, tmp_path, case: str):
    data = tmp_path / "data"
    shutil.copytree(synth_dir, data)
    victim = sorted(data.rglob("*.csv"))[0]
    if case == "wrong_columns":
        lines = victim.read_text().splitlines()
        victim.write_text("\n".join([lines[0], lines[1] + ",1,2,3", *lines[2:]]) + "\n")
    elif case == "header_only":
        victim.write_text(HEADER_ONLY + "\n")
    elif case == "empty":
        victim.write_text("")
    return data, victim


def invoke(*args: str):
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stderr if hasattr(result, "stderr") else result.output


@needs_tf
@pytest.mark.train
@pytest.mark.parametrize("case", ["wrong_columns", "header_only", "empty"])
def test_bad_training_csv_names_the_file(tmp_path, synth_dir, case):
    data, victim = broken_dataset(synth_dir, tmp_path, case)
    out = tmp_path / "out"
    code, stderr = invoke("train", str(data), "-o", str(out / "m.keras"), "--epochs", "1")
    assert code == INPUT, stderr
    one_line_error(stderr, victim.name)
    assert not out.exists() or list(out.iterdir()) == []


@needs_tf
@pytest.mark.train
def test_labels_outside_the_seven_classes(tmp_path, synth_dir):
    data = tmp_path / "own"
    data.mkdir()
    source = sorted(synth_dir.rglob("*.csv"))[0]
    shutil.copy(source, data / "clip.csv")
    (data / "labels.csv").write_text("file,label,subject\nclip.csv,boredom,s1\n")
    code, stderr = invoke("train", str(data), "-o", str(tmp_path / "m.keras"))
    assert code == INPUT
    one_line_error(stderr, "labels.csv", "boredom")


@needs_tf
@pytest.mark.train
@pytest.mark.parametrize("command", ["evaluate", "convert"])
@pytest.mark.parametrize("case", ["missing", "not_keras", "a_folder"])
def test_bad_model_paths_for_evaluate_and_convert(tmp_path, synth_dir, tiny_model, command, case):
    model = tmp_path / "m.keras"
    if case == "not_keras":  # a valid sidecar beside a file that is not a Keras model
        model.write_text("not a zip")
        shutil.copy(tiny_model.with_suffix(".json"), model.with_suffix(".json"))
    elif case == "a_folder":
        model.mkdir()
    args = [command, str(model), str(synth_dir)] if command == "evaluate" else [
        command, str(model), "--data", str(synth_dir), "-o", str(tmp_path / "o.tflite")]  # fmt: skip
    code, stderr = invoke(*args)
    assert code in (INPUT, MODEL), stderr
    one_line_error(stderr, "m.keras")
    assert not (tmp_path / "o.tflite").exists()


@needs_tf
@pytest.mark.train
@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("not_a_flatbuffer", "not_a_flatbuffer"),
        ("hash_mismatch", "sha256"),
        ("wrong_window", "window"),
    ],
)
def test_evaluate_refuses_tampered_models(tmp_path, synth_dir, tampered_models, case, message):
    out = tmp_path / "report"
    code, stderr = invoke(
        "evaluate", str(tampered_models / f"{case}.tflite"), str(synth_dir), "-o", str(out)
    )
    assert code == MODEL, stderr
    one_line_error(stderr, message)
    assert not out.exists() or list(out.iterdir()) == []


@needs_tf
@pytest.mark.train
@pytest.mark.parametrize("case", ["wrong_columns", "header_only"])
def test_evaluate_and_convert_name_a_bad_csv(tmp_path, synth_dir, tiny_model, case):
    data, victim = broken_dataset(synth_dir, tmp_path, case)
    for args in (
        ["evaluate", str(tiny_model), str(data), "-o", str(tmp_path / "report")],
        ["convert", str(tiny_model), "--data", str(data), "-o", str(tmp_path / "m.tflite")],
    ):
        code, stderr = invoke(*args)
        assert code == INPUT, (args[0], stderr)
        one_line_error(stderr, victim.name)
    assert not (tmp_path / "report").exists() and not (tmp_path / "m.tflite").exists()


@needs_tf
@pytest.mark.train
def test_convert_to_an_unwritable_place_keeps_nothing(tmp_path, synth_dir, tiny_model):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the output folder should be")
    code, stderr = invoke(
        "convert", str(tiny_model), "--data", str(synth_dir), "-o", str(blocker / "m.tflite"),
        "--min-agreement", "0", "--max-drop", "100",
    )  # fmt: skip
    assert code == OUTPUT, stderr
    one_line_error(stderr, str(blocker))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]


MQTT_CASES = {
    "bad scheme": (["--mqtt", "http://127.0.0.1/x"], "expected mqtt://"),
    "password in URL": (["--mqtt", "mqtt://pi:s3cret-pw@127.0.0.1/x"], "not put the password"),
    "wildcard prefix": (["--mqtt", "mqtt://127.0.0.1/a/+"], "topic prefix"),
    "device id with a slash": (["--mqtt", "mqtt://127.0.0.1/x", "--device-id", "a/b"], "device id"),
    "missing password file": (
        ["--mqtt", "mqtt://pi@127.0.0.1/x", "--mqtt-password-file", "/nonexistent/pw"],
        "/nonexistent/pw",
    ),
    "missing CA": (["--mqtt", "mqtts://127.0.0.1/x", "--mqtt-ca", "/nonexistent/ca.crt"], "ca.crt"),
    "TLS files on mqtt://": (
        ["--mqtt", "mqtt://127.0.0.1/x", "--mqtt-ca", str(FACE_CLIP)],
        "mqtts://",
    ),
}


@pytest.mark.parametrize("case", list(MQTT_CASES))
def test_bad_mqtt_settings(tmp_path, case):
    """Refused before any video is read: nothing written, no queue created, no secret echoed."""
    args, words = MQTT_CASES[case]
    target = tmp_path / "x.json"
    result = run_cli("run", str(FACE_CLIP), "-o", str(target), "--mqtt-queue",
                     str(tmp_path / "q.sqlite"), *args)  # fmt: skip
    assert result.returncode == INPUT, result.stderr
    one_line_error(result.stderr, words)
    assert "s3cret-pw" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@needs_tf
@pytest.mark.train
def test_evaluate_and_convert_refuse_data_landmarked_with_another_table(
    tmp_path, synth_dir, tiny_model
):
    """A model reads points made with its own 478->68 table; data made with another is refused."""
    data = tmp_path / "data"
    shutil.copytree(synth_dir, data)
    (data / "teacher.json").write_text('{"name": "t", "sha256": "0"}')  # labelled before the record
    for args in (
        ["evaluate", str(tiny_model), str(data), "-o", str(tmp_path / "report")],
        ["convert", str(tiny_model), "--data", str(data), "-o", str(tmp_path / "m.tflite")],
    ):
        code, stderr = invoke(*args)
        assert code == INPUT, (args[0], stderr)
        one_line_error(stderr, "landmarked with the 478->68 table dlib-fit-v1")
    assert not (tmp_path / "report").exists() and not (tmp_path / "m.tflite").exists()
