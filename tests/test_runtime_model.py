"""Metadata sidecars, the LiteRT classifier, the op reader, and the TensorFlow-free runtime."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest
from conftest import FACE_CLIP, needs_tf, run_without_tensorflow

from edge_runtime.assets import default_model_path, face_landmarker_bytes
from edge_runtime.errors import ModelError
from edge_runtime.features.landmarks import MAPPINGS, mediapipe_to_ibug68
from edge_runtime.model.classifier import ClassifierOptions, EmotionClassifier
from edge_runtime.model.metadata import ModelMetadata, load_metadata, sidecar_path, write_metadata
from edge_runtime.model.tflite_ops import forbidden_ops, operator_codes
from edge_runtime.pipeline import EmotionPipeline, PipelineOptions
from edge_runtime.sources.video import read_video


def test_metadata_round_trip_and_hash(tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(b"weights")
    meta = ModelMetadata(
        name="m", labels=["a", "b"], window=90, fps=30.0, training_data={"synthetic": True}
    )
    write_metadata(model, meta)
    loaded = load_metadata(model)
    assert loaded.labels == ["a", "b"] and loaded.synthetic and loaded.sha256 == meta.sha256
    model.write_bytes(b"tampered")
    with pytest.raises(ModelError, match="does not match its metadata"):
        load_metadata(model)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"labels": []}, "labels"),
        ({"window": 0}, "positive"),
        ({"hop": 91}, "must not exceed the window"),
        ({"input_layout": "y,x"}, "laid out"),
        ({"normalisation": {"name": "mystery"}}, "unknown normalisation"),
        (
            {"normalisation": {"name": "centre-iod-v1", "landmarks": "x"}},
            "unknown landmark mapping",
        ),
        ({"normalisation": {"name": "centre-iod-v1", "baseline": "x"}}, "unknown baseline"),
        ({"normalisation": {"name": "centre-iod-v1", "baseline": "running-median-v1"}}, "mean"),
        ({"schema_version": 99}, "schema_version"),
        ({"class_prior": {"b": 2.0}}, "class_prior"),
        ({"class_prior": {"a": 0}}, "class_prior"),
        ({"reject": {"below": 1.5, "to": "a"}}, "reject"),
        ({"reject": {"below": 0.4, "to": "b"}}, "reject"),
        ({"reject": {"below": 0.4}}, "reject"),
        ({"reject": {"below": "0.4", "to": "a"}}, "reject"),
        ({"reject": 0.4}, "reject"),
    ],
)
def test_invalid_metadata_is_refused(tmp_path, change, message):
    model = tmp_path / "m.tflite"
    model.write_bytes(b"x")
    write_metadata(model, ModelMetadata(name="m", labels=["a"], window=90, fps=30))
    data = json.loads(sidecar_path(model).read_text())
    data.update(change)
    sidecar_path(model).write_text(json.dumps(data))
    with pytest.raises(ModelError, match=message):
        load_metadata(model)


def test_missing_sidecar_and_garbage_model(tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(b"not a flatbuffer at all")
    with pytest.raises(ModelError, match="sidecar"):
        load_metadata(model)
    write_metadata(model, ModelMetadata(name="m", labels=["a"], window=90, fps=30))
    with pytest.raises(ModelError, match="TFL3"):
        EmotionClassifier.from_file(model)


@pytest.mark.parametrize("mapping", sorted(MAPPINGS))
def test_the_pipeline_maps_the_mesh_with_its_models_table(tmp_path, mapping):
    """The 68 points are made with the 478->68 table the model's sidecar names."""
    path = default_model_path()
    copy = tmp_path / "m.tflite"
    shutil.copy(path, copy)
    meta = load_metadata(path)
    meta.normalisation = dataclasses.replace(meta.normalisation, landmarks=mapping)
    write_metadata(copy, meta)
    options = PipelineOptions(classifier=ClassifierOptions(copy))
    with EmotionPipeline.create(options) as pipeline:
        assert pipeline.landmarker.options.mapping == mapping
        frame = next(iter(read_video(FACE_CLIP)))
        observation = pipeline.landmarker.detect(frame)
    np.testing.assert_allclose(observation.ibug68, mediapipe_to_ibug68(observation.mesh, mapping))


def test_face_landmarker_hash_is_checked(tmp_path):
    assert len(face_landmarker_bytes()) == 3758596
    fake = tmp_path / "face_landmarker.task"
    fake.write_bytes(b"bad")
    with pytest.raises(ModelError, match="expected 64184e22"):
        face_landmarker_bytes(fake)
    with pytest.raises(ModelError, match="not found"):
        face_landmarker_bytes(tmp_path / "none.task")


def test_default_model_runs_and_lists_builtin_ops_only():
    path = default_model_path()
    classifier = EmotionClassifier.from_file(path)
    ops = operator_codes(path.read_bytes())
    assert ops and not forbidden_ops(path.read_bytes())
    assert path.stat().st_size <= 2 * 1024 * 1024  # the bound for the default model
    meta = classifier.metadata  # the bundled model says what it was trained on, and its terms
    assert not meta.synthetic and meta.training_data["sources"] and meta.training_data["licence"]
    rng = np.random.default_rng(0)
    probs = classifier.predict(rng.normal(0, 0.5, (meta.window, 136)))
    assert probs.shape == (7,) and probs.sum() == pytest.approx(1.0) and (probs >= 0).all()
    with pytest.raises(ValueError, match="shape"):
        classifier.predict(np.zeros((meta.window + 1, 136)))


@needs_tf
def test_a_class_prior_in_the_sidecar_reweights_every_window_and_renormalises(tmp_path):
    """class_prior multiplies the model's probabilities per label (a prior-shift correction)."""
    path = default_model_path()
    meta = load_metadata(path)
    models = {}
    for name, prior in (("plain", {}), ("weighted", {"neutral": 2.0, "anger": 0.5})):
        copy = tmp_path / f"{name}.tflite"
        shutil.copy(path, copy)
        meta.class_prior = prior
        write_metadata(copy, meta)
        models[name] = EmotionClassifier.from_file(copy)
        assert load_metadata(copy).class_prior == prior
    plain, weighted = models["plain"], models["weighted"]
    rng = np.random.default_rng(1)
    for _ in range(3):
        window = rng.normal(0, 0.5, (meta.window, 136))
        p = plain.predict(window)
        w = np.where(np.array(meta.labels) == "neutral", 2.0, 1.0)
        w[meta.labels.index("anger")] = 0.5
        assert weighted.predict(window) == pytest.approx(p * w / (p * w).sum())


@needs_tf
def test_metadata_that_disagrees_with_the_tensors_is_refused(tmp_path, tiny_tflite):
    copy = tmp_path / "m.tflite"
    shutil.copy(tiny_tflite, copy)
    meta = load_metadata(tiny_tflite)
    meta.labels = meta.labels[:5]
    write_metadata(copy, meta)
    with pytest.raises(ModelError, match="outputs 7 classes, metadata lists 5"):
        EmotionClassifier.from_file(copy)
    meta = load_metadata(tiny_tflite)
    meta.window = 60
    write_metadata(copy, meta)
    with pytest.raises(ModelError, match="disagrees with metadata"):
        EmotionClassifier.from_file(copy)


def test_runtime_works_without_tensorflow():
    """import edge_runtime, the classifier and a whole `edge-emo run --mqtt` with TF/Keras unimportable."""
    result = run_without_tensorflow(
        f"""
        import sys, json, tempfile, pathlib
        import numpy as np
        import edge_runtime
        from edge_runtime.model.classifier import EmotionClassifier
        c = EmotionClassifier.create()
        p = c.predict(np.zeros((c.metadata.window, 136), np.float32))
        assert abs(p.sum() - 1) < 1e-6, p
        from edge_runtime.cli import app
        out = pathlib.Path(tempfile.mkdtemp()) / "t.json"
        queue = out.with_name("q.sqlite")  # MQTT sink too, broker unreachable: all queued
        try:
            app(["run", r"{FACE_CLIP}", "-o", str(out), "-q", "--mqtt", "mqtt://127.0.0.1:9/x",
                 "--mqtt-queue", str(queue)], prog_name="edge-emo")
        except SystemExit as e:
            assert e.code == 0, e.code
        doc = json.loads(out.read_text())
        assert doc["seconds"] and doc["model"]["synthetic"] is False
        import sqlite3
        queued = sqlite3.connect(queue).execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        assert queued == len(doc["seconds"]), queued
        bad = [m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")]
        assert not bad, bad
        training = [m for m in sys.modules if m.startswith(("edge_emo.train", "edge_emo.convert"))]
        assert not training, training  # the teacher and all training code stay out of run
        print("OK", c.backend, len(doc["seconds"]))
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OK ai-edge-litert" in result.stdout


def test_mediapipe_loads_without_its_drawing_and_audio_dependencies():
    """Start-up: matplotlib and sounddevice stay unloaded until someone really uses them."""
    result = run_without_tensorflow(
        """
        import sys
        from edge_runtime._mediapipe import load_vision
        mp, vision, _ = load_vision()
        assert "matplotlib" not in sys.modules and "sounddevice" not in sys.modules
        try:  # mediapipe 1.x, else 0.10 (the aarch64 pin): still works, loaded on use
            from mediapipe.tasks.python.vision import drawing_utils
        except ImportError:
            from mediapipe.python.solutions import drawing_utils
        assert callable(drawing_utils.draw_landmarks) and "matplotlib" in sys.modules
        print("OK")
        """
    )
    assert result.returncode == 0 and "OK" in result.stdout, result.stderr[-2000:]


def test_default_model_needs_only_op_versions_checked_on_the_pi_interpreter():
    from edge_runtime.assets import default_model_path
    from edge_runtime.model.tflite_ops import PI_CHECKED_OPS, operator_codes, unchecked_on_pi

    model = default_model_path().read_bytes()
    assert unchecked_on_pi(model) == []
    assert {(c.name, c.version) for c in operator_codes(model)} <= PI_CHECKED_OPS
