"""`edge-emo benchmark --quick`: a smoke run of every section that needs no TensorFlow.

Timings are printed, never asserted: this checks the benchmark runs and reports sane,
complete figures, not how fast this machine is.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import FACE_CLIP, require_mosquitto, run_cli

from edge_emo.benchmarks.model_latency import latency_stats
from edge_runtime.assets import default_model_path
from edge_runtime.model.metadata import load_metadata


def test_latency_stats_are_percentiles_of_the_samples():
    stats = latency_stats([0.001] * 98 + [0.002, 0.010])
    assert stats["median_ms"] == 1.0 and stats["windows_per_s"] == 1000.0
    assert stats["p90_ms"] == 1.0 and 2.0 <= stats["p99_ms"] <= 10.0


def test_quick_benchmark_reports_every_section(tmp_path):
    out = tmp_path / "bench.json"
    result = run_cli("benchmark", "--quick", "--clip", str(FACE_CLIP), "--json", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Model latency" in result.stdout and "start-up to first prediction" in result.stdout
    report = json.loads(out.read_text())
    machine = report["machine"]
    assert machine["cores_usable"] >= 1 and machine["packages"]["mediapipe"]
    (row,) = report["model_latency"]  # quick: the bundled model at one thread
    bundled = load_metadata(default_model_path()).quantisation["mode"]
    assert row["quantisation"] == bundled and row["threads"] == 1 and row["iterations"] == 30
    assert 0 < row["median_ms"] <= row["p90_ms"] <= row["p99_ms"]
    (pipe,) = report["pipeline"]
    assert pipe["size"] == "640x480" and pipe["frames"] == 60
    assert {"landmarks", "decode", "model", "normalise"} <= set(pipe["stage_ms_per_frame"])
    assert 0 < pipe["ratio_to_mediapipe_alone"] < 2
    assert report["startup"]["edge_runtime"]["median_s"] > 0
    footprint = report["footprint"]
    assert 0 < footprint["base_mb"] <= footprint["train_mb"]


def test_benchmark_names_a_missing_model(tmp_path):
    result = run_cli("benchmark", "--quick", "--model", str(tmp_path / "nope.tflite"))
    assert result.returncode == 2 and "nope.tflite: no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_mqtt_load_script_smoke(tmp_path):
    """The fleet load script end to end at toy size: it runs and finds no loss."""
    from edge_emo.benchmarks import mqtt_load

    require_mosquitto()
    figures = mqtt_load.main(["--devices", "3", "--seconds", "3", "--per-process", "2",
                              "--json", str(tmp_path / "load.json")])  # fmt: skip
    assert figures["sent"] == figures["delivered_unique"] == 9
    assert figures["in_order_per_device"] and figures["left_queued"] == 0
    assert json.loads((tmp_path / "load.json").read_text())["publisher_processes"] == 2


def test_mqtt_queue_script_smoke():
    """The queue benchmark at toy size: fills to the bound, drops at it, drains it all."""
    from edge_emo.benchmarks import mqtt_queue

    require_mosquitto()
    figures = mqtt_queue.main(["--entries", "200"])
    assert figures["dropped_at_bound"] == 100 and figures["drained"] == 200
    assert figures["left"] == 0 and figures["size_on_disk_mb"] > 0


def test_mapping_symmetry_finds_a_point_placed_higher_on_one_side_only():
    from edge_emo.benchmarks.mapping_symmetry import systematic_asymmetry
    from edge_emo.train.synth import symmetric_neutral

    rng = np.random.default_rng(0)
    faces = symmetric_neutral()[None] * 80 + rng.uniform(100, 300, size=(50, 1, 2))
    assert np.abs(systematic_asymmetry(faces)).max() < 1e-9  # mirror-symmetric: no bias
    iod = 80 * (symmetric_neutral()[45, 0] - symmetric_neutral()[36, 0])
    faces[:, 2, 1] -= 0.1 * iod  # jaw point 2 sits higher in every face; 14 does not
    bias = systematic_asymmetry(faces)
    assert bias[2, 1] == pytest.approx(0.1, abs=1e-3) and bias[14, 1] == pytest.approx(
        -0.1, abs=1e-3
    )
    assert np.abs(np.delete(bias, [2, 14], axis=0)).max() < 0.01
