"""Training, evaluation and conversion on small synthetic fixtures (needs the [train] extra)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from conftest import needs_tf, run_cli, run_without_tensorflow

from edge_runtime.errors import GateError, InputError
from edge_runtime.labels import LABELS
from edge_runtime.model.metadata import load_metadata

pytestmark = [needs_tf, pytest.mark.train]


def test_training_writes_model_and_sidecar(tiny_model):
    meta = load_metadata(tiny_model)
    assert meta.format == "keras" and meta.synthetic
    assert (
        meta.training_data["split"]["test"] == ["03"]
        and "03" not in meta.training_data["split"]["train"]
    )
    assert len(meta.normalisation.mean) == 136 and min(meta.normalisation.std) > 0
    assert len(meta.extra["history"]["loss"]) == meta.extra["epochs_run"] >= 1
    assert {"accuracy", "macro_f1", "f1"} <= set(meta.evaluation["test"])


def test_short_training_learns_a_separable_task(tmp_path):
    """Strong happiness vs strong surprise, subject-independent: far above chance (50%)."""
    from edge_emo.train.config import TrainConfig
    from edge_emo.train.synth import clip_csv, generate
    from edge_emo.train.trainer import train_command

    data = tmp_path / "data"
    data.mkdir()
    rows = ["file,label,subject"]
    for name, points in generate(actors=12, seed=5, repetitions=2):
        _, _, emotion, intensity, *_, actor = name[:-4].split("-")
        if intensity == "02" and emotion in ("03", "08"):
            (data / name).write_text(clip_csv(points))
            rows.append(f"{name},{'happiness' if emotion == '03' else 'surprise'},{actor}")
    (data / "labels.csv").write_text("\n".join(rows) + "\n")
    config = TrainConfig(
        conv1_filters=16, conv2_filters=16, lstm_units=16, crops_per_clip=4, patience=4
    )
    result = train_command(data, tmp_path / "m.keras", epochs=6, seed=0, val_subjects="05,06",
                           test_subjects="03,04,09", quiet=True, config=config)  # fmt: skip
    assert result.test_report["n"] == 24
    assert result.test_report["accuracy"] >= 0.8, result.test_report


def test_kfold_by_subject(synth_dir):
    from edge_emo.train.config import TrainConfig
    from edge_emo.train.data import load_dataset
    from edge_emo.train.trainer import cross_validate

    config = TrainConfig(conv1_filters=4, conv2_filters=4, lstm_units=4, crops_per_clip=1, epochs=1)
    summary = cross_validate(load_dataset(synth_dir), config, 3, log=lambda *a: None)
    assert summary["k"] == 3 and len(summary["accuracies"]) == 3
    assert all(0.0 <= a <= 1.0 for a in summary["accuracies"])


def test_evaluate_report(tmp_path, tiny_model, synth_dir):
    from edge_emo.train.evaluate import evaluate_command

    copy = tmp_path / "m.keras"
    shutil.copy(tiny_model, copy)
    shutil.copy(tiny_model.with_suffix(".json"), copy.with_suffix(".json"))
    report = evaluate_command(copy, synth_dir, tmp_path / "report")
    assert (
        report["subjects"] == ["03"] and report["n"] == 26
    )  # (1 + 6 x 2 intensities) x 2 statements
    assert sum(map(sum, report["confusion_matrix"])) == report["n"]
    assert list(report["per_class"]) == list(LABELS)
    for name in ("report.json", "report.md", "confusion.png", "curves.png"):
        assert (tmp_path / "report" / name).stat().st_size > 100
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "Synthetic data" in markdown and "subjects 03;" in markdown
    assert load_metadata(copy).evaluation["evaluate"]["accuracy"] == report["accuracy"]
    # Over 50 subjects the report keeps their count, and says it as such (not s u b j ...).
    from edge_emo.train.evaluate import markdown_report

    many = markdown_report({**report, "subjects": "3027 subjects"})
    assert f"{report['data']}, 3027 subjects;" in many


@pytest.mark.parametrize("quant", ["int8", "dynamic", "fp16", "float32"])
def test_convert_all_modes_and_run_without_tensorflow(tmp_path, tiny_model, synth_dir, quant):
    from edge_emo.convert.converter import convert_command

    out = tmp_path / f"m-{quant}.tflite"
    _, report = convert_command(tiny_model, synth_dir, quant=quant, output=out, min_agreement=0, max_drop=100,
                                log=lambda *a: None)  # fmt: skip
    assert not report.forbidden and "WHILE" not in report.ops and report.windows > 0
    meta = load_metadata(out)
    assert (
        meta.quantisation["mode"] == quant
        and meta.evaluation["conversion"]["windows"] == report.windows
    )
    if quant == "float32":
        assert report.agreement == pytest.approx(100.0)
    # int8 converts the unrolled graph; the others one fused LSTM op per direction.
    fused = "UNIDIRECTIONAL_SEQUENCE_LSTM" in report.ops
    assert fused == (quant != "int8") and meta.quantisation["graph"].startswith(
        "unrolled" if quant == "int8" else "fused"
    )
    if quant == "int8":
        assert (
            meta.quantisation["input"]["dtype"] == "int8"
            and meta.quantisation["representative_windows"] >= 100
        )
    result = run_without_tensorflow(
        f"""
        import numpy as np
        from edge_runtime.model.classifier import EmotionClassifier
        c = EmotionClassifier.from_file(r"{out}")
        p = c.predict(np.zeros((90, 136), np.float32))
        assert p.shape == (7,) and abs(p.sum() - 1) < 1e-6
        print("OK", c.input_dtype)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert ("int8" if quant == "int8" else "float32") in result.stdout


def test_failed_quality_gate_writes_nothing(tmp_path, tiny_model, synth_dir):
    from edge_emo.convert.converter import convert_command

    out = tmp_path / "m.tflite"
    with pytest.raises(GateError, match="agreement"):
        convert_command(
            tiny_model,
            synth_dir,
            quant="float32",
            output=out,
            min_agreement=100.1,
            log=lambda *a: None,
        )
    assert list(tmp_path.iterdir()) == []


def test_convert_records_a_class_prior_and_refuses_a_malformed_one(tmp_path, tiny_model, synth_dir):
    """`convert --class-prior neutral=1.5` lands in the sidecar (the runtime applies it); a
    label the model lacks or a weight that is not positive is a one-line error, nothing written.
    `--reject-below` (the reject option) and `--baseline` (the per-person running baseline)
    are recorded there the same way."""
    out = tmp_path / "m.tflite"
    common = [str(tiny_model), "-d", str(synth_dir), "--quant", "float32", "--min-agreement", "0",
              "--max-drop", "100", "-o", str(out)]  # fmt: skip
    for bad in ("calm=2", "neutral=0", "neutral"):
        result = run_cli("convert", *common, "--class-prior", bad)
        assert (
            result.returncode == 2
            and f"--class-prior {bad}: expected LABEL=WEIGHT" in result.stderr
        )
        assert "Traceback" not in result.stderr and not out.exists()
    result = run_cli(
        "convert", *common, "--class-prior", "neutral=1.5", "--class-prior", "fear=0.5"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert load_metadata(out).class_prior == {"neutral": 1.5, "fear": 0.5}
    assert load_metadata(out).normalisation.baseline is None  # off unless asked
    assert load_metadata(out).reject == {}  # so is the reject option
    for bad in (
        ["--reject-below", "1.2"],
        ["--reject-below", "0.4", "--reject-to", "calm"],
        ["--reject-to", "sadness"],  # a label without a threshold is not silently ignored
    ):
        result = run_cli("convert", *common[:-1], str(tmp_path / "r.tflite"), *bad)
        assert result.returncode == 2 and "--reject-below" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and not (tmp_path / "r.tflite").exists()
    result = run_cli("convert", *common, "--reject-below", "0.4")
    assert result.returncode == 0, result.stderr[-2000:]
    assert load_metadata(out).reject == {"below": 0.4, "to": "neutral"}
    with_baseline = tmp_path / "b.tflite"
    result = run_cli("convert", *common[:-1], str(with_baseline), "--baseline")
    assert result.returncode == 0, result.stderr[-2000:]
    assert load_metadata(with_baseline).normalisation.baseline == "running-median-v1"


def test_naive_lstm_export_with_flex_ops_is_rejected():
    """A non-unrolled LSTM converted with Select-TF ops allowed must not pass the op gate."""
    import keras
    import tensorflow as tf

    from edge_emo.convert.converter import check_ops

    inputs = keras.Input((90, 136), batch_size=1)
    model = keras.Model(inputs, keras.layers.Dense(7)(keras.layers.LSTM(4)(inputs)))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS,
        tf.lite.OpsSet.SELECT_TF_OPS,
    ]
    converter._experimental_lower_tensor_list_ops = False
    ops, forbidden = check_ops(converter.convert())
    assert forbidden, ops
    assert any(name.startswith("Flex") or name == "WHILE" for name in forbidden)


def test_metadata_carries_everything_the_runtime_needs(tiny_tflite):
    data = json.loads(tiny_tflite.with_suffix(".json").read_text())
    for key in ("labels", "window", "fps", "normalisation", "input_layout", "quantisation", "training_data",
                "evaluation", "sha256"):  # fmt: skip
        assert key in data
    assert data["training_data"]["synthetic"] is True
    assert np.isclose(data["evaluation"]["conversion"]["top1_agreement_pct"], 100.0)


def test_conv2_stride_shortens_the_lstm_sequence_and_old_configs_keep_stride_1():
    from edge_emo.train.config import TrainConfig
    from edge_emo.train.model import build_model, unrolled_clone

    config = TrainConfig(conv2_stride=3)
    model = build_model(config)
    assert model.get_layer("conv2").output.shape[1] == 30  # 90 frames -> 30 LSTM steps
    clone = unrolled_clone(model, config)  # the int8 conversion graph has the same shape
    x = np.random.default_rng(0).standard_normal((1, 90, 136)).astype(np.float32)
    np.testing.assert_allclose(clone(x), model(x), atol=1e-5)
    old = {k: v for k, v in TrainConfig().to_dict().items() if k != "conv2_stride"}
    assert TrainConfig.from_dict(old).conv2_stride == 1  # sidecars from before the option


def test_window_length_is_a_training_option_that_inference_follows(tmp_path, synth_dir):
    """`train --window 30 --hop 15` -> metadata -> `edge-emo run` windows a real clip that way."""
    from conftest import FACE_CLIP, run_cli

    from edge_emo.convert.converter import convert_command

    model = tmp_path / "w30.keras"
    common = [
        "--stride",
        "3",
        "--epochs",
        "1",
        "--val-subjects",
        "05",
        "--test-subjects",
        "03",
        "-q",
    ]
    too_long = run_cli(
        "train", str(synth_dir), "-o", str(model), "--window", "30", "--hop", "45", *common
    )
    assert (
        too_long.returncode == 2
        and "must be between 1 and the window (30 frames)" in too_long.stderr
    )
    assert len(too_long.stderr.strip().splitlines()) == 1 and not model.exists()
    no_stills = run_cli("train", str(synth_dir), "-o", str(model), "--identity", "0.5", *common)
    # found once the data is loaded, after TensorFlow's import has logged its own lines
    errors = [line for line in no_stills.stderr.splitlines() if line.startswith("edge-emo: error")]
    assert no_stills.returncode == 2 and len(errors) == 1 and "Traceback" not in no_stills.stderr
    assert "--identity: the training data has fewer" in errors[0] and not model.exists()
    trained = run_cli(
        "train", str(synth_dir), "-o", str(model), "--window", "30", "--hop", "15",
        "--patience", "3", "--arch", "bilstm", "--ensemble", "1", "--mirror", "0.5",
        "--real-talk", "0.5", "--frontalise", *common,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert (load_metadata(model).window, load_metadata(model).hop) == (30, 15)
    recorded = load_metadata(model).extra["train_config"]  # every option, like the rest
    assert (recorded["patience"], recorded["arch"], recorded["ensemble"]) == (3, "bilstm", 1)
    assert recorded["augment"]["mirror_prob"] == recorded["augment"]["real_talk_prob"] == 0.5
    assert load_metadata(model).normalisation.pose == "canonical-face-v1"
    tflite = tmp_path / "w30.tflite"
    convert_command(model, synth_dir, quant="int8", output=tflite, min_agreement=0, max_drop=100,
                    log=lambda *a: None)  # fmt: skip
    ran = run_cli("run", str(FACE_CLIP), "-m", str(tflite), "-o", str(tmp_path / "out"), "-q")
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert load_metadata(tflite).normalisation.pose == "canonical-face-v1"  # what `run` applies
    doc = json.loads((tmp_path / "out" / "face_clip.emotions.json").read_text())
    assert doc["window"]["frames"] == 30 and doc["window"]["hop"] == 15
    faces = [s for s in doc["seconds"] if s["face"]]
    # A second's own 1-s window and the two that half overlap it (plus one aligned to the
    # clip's end), not the three 3-s windows a 90-frame model would average.
    assert len(faces) >= 15 and max(s["windows"] for s in faces) <= 4
    assert sum(s["windows"] == 3 for s in faces) >= 10
    assert all(abs(sum(s["probs"].values()) - 1) < 1e-4 for s in faces)


def test_a_fused_lstm_models_prediction_does_not_depend_on_the_window_before(tiny_tflite):
    """The fused LSTM op keeps its state in variable tensors; each window must start from zeros."""
    from edge_runtime.model.classifier import EmotionClassifier

    classifier = EmotionClassifier.from_file(tiny_tflite)
    assert load_metadata(tiny_tflite).quantisation["graph"].startswith("fused")
    rng = np.random.default_rng(4)
    a, b = (rng.standard_normal((90, 136)).astype(np.float32) * 3 for _ in range(2))
    first = classifier.predict(a)
    classifier.predict(b)
    np.testing.assert_array_equal(classifier.predict(a), first)


def test_pool_architecture_ignores_frame_order_and_builds_in_both_keras():
    """`arch="pool"` reads the window's mean shape: shuffling the frames changes nothing."""
    import tf_keras

    from edge_emo.train.config import TrainConfig
    from edge_emo.train.model import build_model

    config = TrainConfig(arch="pool", window=30, pool_units=16)
    model = build_model(config)
    x = np.random.default_rng(0).standard_normal((1, 30, 136)).astype(np.float32)
    shuffled = x[:, np.random.default_rng(1).permutation(30)]
    np.testing.assert_allclose(model(shuffled), model(x), atol=1e-6)
    keras2 = build_model(config, batch_size=1, api=tf_keras)  # the float conversion graph
    keras2.set_weights(model.get_weights())
    np.testing.assert_allclose(keras2(x), model(x), atol=1e-5)
    from edge_emo.convert.converter import graph_name

    assert graph_name(config, "int8") == "pool"  # the sidecar names no LSTM it does not have
    assert graph_name(TrainConfig(), "int8") == "unrolled-lstm"
    with pytest.raises(InputError, match="arch 'gru' must be one of bilstm, pool"):
        TrainConfig(arch="gru")


def test_weight_averaging_is_the_element_wise_mean_of_the_snapshots():
    from edge_emo.train.trainer import average_weights

    a = [np.zeros((2, 3), np.float32), np.array([1.0, 2.0], np.float32)]
    b = [np.full((2, 3), 2, np.float32), np.array([3.0, -2.0], np.float32)]
    mean = average_weights([a, b, a, b])
    np.testing.assert_array_equal(mean[0], np.ones((2, 3)))
    np.testing.assert_array_equal(mean[1], [2.0, 0.0])
    assert [m.dtype for m in mean] == [np.float32, np.float32]
    with pytest.raises(ValueError):  # snapshots of two different models
        average_weights([a, a[:1]])


def test_average_epochs_keeps_the_mean_of_the_last_epochs_and_records_it(synth_dir):
    """`train --average-epochs 2`: the last two epochs' weights averaged, not the best epoch's."""
    from edge_emo.train.config import TrainConfig
    from edge_emo.train.data import load_dataset
    from edge_emo.train.splits import holdout_split
    from edge_emo.train.trainer import train_model

    dataset = load_dataset(synth_dir)
    split = holdout_split(dataset.subjects, ["05"], ["03"])
    config = TrainConfig(window=30, conv2_stride=3, conv1_filters=4, conv2_filters=4, epochs=3,
                         lstm_units=4, crops_per_clip=1, patience=3, average_epochs=2)  # fmt: skip
    lines = []
    result = train_model(dataset, split, config, log=lines.append)
    assert "weights: the mean of the last 2 epochs' (epochs 2-3)" in lines
    assert len(result.history["loss"]) == 3 and result.val_report["n"] > 0
    assert TrainConfig.from_dict(config.to_dict()).average_epochs == 2  # into the sidecar
    with pytest.raises(InputError, match="average epochs -1 must be 0 or more"):
        TrainConfig(average_epochs=-1)


def test_seed_ensemble_trains_each_member_and_converts_to_one_int8_file(tmp_path, synth_dir):
    """`train --ensemble 2`: two seeds, each early-stopped, averaged inside one model and file."""
    from edge_emo.convert.converter import convert_command
    from edge_emo.train.config import TrainConfig
    from edge_emo.train.model import ensemble_members
    from edge_emo.train.trainer import train_command

    config = TrainConfig(window=30, conv2_stride=3, conv1_filters=8, conv2_filters=8,
                         lstm_units=8, crops_per_clip=1, patience=1, ensemble=2)  # fmt: skip
    out = tmp_path / "ens.keras"
    result = train_command(synth_dir, out, epochs=2, seed=7, val_subjects="05",
                           test_subjects="03", quiet=True, config=config)  # fmt: skip
    members = load_metadata(out).extra["members"]
    assert [m["seed"] for m in members] == [7, 8]
    assert all(1 <= m["epochs_run"] == len(m["history"]["loss"]) <= 2 for m in members)
    x = np.random.default_rng(0).standard_normal((3, 30, 136)).astype(np.float32)
    networks = ensemble_members(result.model, config)
    assert len(networks) == 2
    outputs = [np.asarray(n(x)) for n in networks]
    assert not np.allclose(outputs[0], outputs[1], atol=1e-3)  # two different draws
    np.testing.assert_allclose(result.model(x), np.mean(outputs, axis=0), atol=1e-6)

    tflite = tmp_path / "ens-int8.tflite"
    _, report = convert_command(out, synth_dir, quant="int8", output=tflite, min_agreement=0,
                                max_drop=100, log=lambda *a: None)  # fmt: skip
    assert not report.forbidden and report.windows > 0
    assert load_metadata(tflite).extra["train_config"]["ensemble"] == 2
    result = run_without_tensorflow(
        f"""
        import numpy as np
        from edge_runtime.model.classifier import EmotionClassifier
        p = EmotionClassifier.from_file(r"{tflite}").predict(np.zeros((30, 136), np.float32))
        assert p.shape == (7,) and abs(p.sum() - 1) < 0.02, p
        print("OK")
        """
    )
    assert result.returncode == 0 and "OK" in result.stdout, result.stderr[-2000:]
    from edge_emo.train.evaluate import evaluate_command, training_histories

    assert list(training_histories(load_metadata(out).extra)) == ["seed 7", "seed 8"]
    evaluate_command(out, synth_dir, tmp_path / "report")  # curves: one set per member
    assert (tmp_path / "report" / "curves.png").stat().st_size > 0
