"""Distillation end to end: training on soft and hard labels together, and the held-out video
scorer that reports agreement with the teacher and with person-labelled seconds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import needs_tf, run_cli

from edge_emo.train.augment import AugmentOptions
from edge_runtime.errors import InputError
from edge_runtime.features.landmarks import (
    DEFAULT_MAPPING,
)
from edge_runtime.labels import LABELS

# --------------------------------------------------------------------------- training on soft labels


@needs_tf
@pytest.mark.slow
@pytest.mark.train
def test_soft_label_training_on_a_tiny_set(tmp_path, synth_dir):
    """A folder mixing human-labelled and teacher-labelled (soft-only) clips trains; soft-only
    clips count in the class balance by their arg-max."""
    from edge_emo.train.config import TrainConfig
    from edge_emo.train.trainer import train_command

    data = tmp_path / "data"
    data.mkdir()
    rows = ["file,label,subject,soft"]
    for i, path in enumerate(sorted(synth_dir.glob("*.csv"))[:36]):
        shutil.copy(path, data / path.name)
        actor = path.stem.split("-")[-1]
        emotion = LABELS.index(
            {3: "happiness", 4: "sadness", 5: "anger"}.get(int(path.stem.split("-")[2]), "neutral")
        )
        if i % 2:  # soft-only: a teacher's per-frame probabilities, leaning to the true class
            times = np.arange(0, 4, 1 / 30)
            probs = np.full((len(times), 7), 0.1 / 6)
            probs[:, emotion] = 0.9
            with open(data / f"{path.stem}.teacher.csv", "w") as handle:
                handle.write("frame,timestamp,face,confidence," + ",".join(LABELS) + "\n")
                for k, t in enumerate(times):
                    handle.write(
                        f"{k + 1},{t:.4f},1,0.9," + ",".join(f"{p:.4f}" for p in probs[k]) + "\n"
                    )
            rows.append(f"{path.name},,{actor},{path.stem}.teacher.csv")
        else:
            rows.append(f"{path.name},{LABELS[emotion]},{actor},")
    (data / "labels.csv").write_text("\n".join(rows) + "\n")
    config = TrainConfig(
        conv1_filters=4, conv2_filters=4, lstm_units=4, crops_per_clip=1, teacher_mix=0.3
    )
    out = tmp_path / "m.keras"
    result = train_command(data, out, epochs=1, seed=0, quiet=True, config=config,
                           val_subjects="02", test_subjects="03")  # fmt: skip
    assert out.is_file() and result.epochs_run == 1
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["extra"]["train_config"]["augment"]["jitter"] == AugmentOptions().jitter
    assert meta["extra"]["train_config"]["teacher_mix"] == 0.3  # recorded with the model
    assert meta["training_data"]["synthetic"] is False  # no SYNTHETIC_DATA.md in this folder
    assert meta["normalisation"]["landmarks"] == DEFAULT_MAPPING  # no records: today's table
    # --real-talk takes its motion from calm video; with the neutral clips gone (labelled or
    # taught) there is none, and training stops with one line instead of ignoring it.
    kept = [r for r in rows[1:] if int(r.split("-")[2]) in (3, 4, 5)]
    (data / "labels.csv").write_text("\n".join([rows[0], *kept]) + "\n")
    # --identity takes resting shapes from neutral still images; this data has none either.
    for name, augment, message in (
        ("t", AugmentOptions(real_talk_prob=0.5), "--real-talk: the training data has no"),
        ("i", AugmentOptions(identity_prob=0.5), "--identity: the training data has fewer"),
    ):
        asked = TrainConfig(conv1_filters=4, conv2_filters=4, lstm_units=4, crops_per_clip=1,
                            augment=augment)  # fmt: skip
        with pytest.raises(InputError, match=message):
            train_command(data, tmp_path / f"{name}.keras", epochs=1, seed=0, quiet=True,
                          config=asked, val_subjects="02", test_subjects="03")  # fmt: skip
        assert not (tmp_path / f"{name}.keras").exists()


# --------------------------------------------------------------------------- held-out scoring


def test_heldout_scorer_counts_teacher_agreement_and_person_labels(tmp_path):
    from edge_emo.train.heldout import score

    labelled = tmp_path / "labelled"
    (labelled / "clips").mkdir(parents=True)
    lines = ["frame,timestamp,face,confidence," + ",".join(LABELS)]
    happy, unsure = np.eye(7)[1] * 0.9 + 0.1 / 7, np.full(7, 1 / 7)
    for k in range(90):  # second 0 happy, second 1 unsure, second 2 happy
        p = unsure if 30 <= k < 60 else happy
        lines.append(f"{k + 1},{k / 30:.4f},1,{p.max():.4f}," + ",".join(f"{v:.4f}" for v in p))
    (labelled / "clips" / "v.teacher.csv").write_text("\n".join(lines) + "\n")
    timelines = tmp_path / "timelines"
    timelines.mkdir()
    seconds = [{"t": 0, "face": True, "top": "happiness"}, {"t": 1, "face": True, "top": "neutral"},
               {"t": 2, "face": True, "top": "sadness"}, {"t": 3, "face": False, "top": None}]  # fmt: skip
    (timelines / "v.emotions.json").write_text(json.dumps({"seconds": seconds}))
    person = tmp_path / "seconds.csv"
    person.write_text("video,second,label,note\nv,0,happiness,x\nv,1,neutral,x\nv,3,neutral,x\n")
    report = score(timelines, labelled, person)
    assert report["teacher"]["n"] == 2 and report["teacher"]["accuracy"] == 0.5  # t=1 unsure
    assert report["person"]["n"] == 3 and report["person"]["accuracy"] == pytest.approx(2 / 3)
    assert report["person"]["confusion_matrix"][0][-1] == 1  # t=3: no face, counted wrong
    # one video: resampling videos cannot move the figure
    assert report["teacher"]["interval_95_by_video"] == (0.5, 0.5)
    # A second video; --videos scores one batch (shell-style patterns), the person's rows too.
    shutil.copy(labelled / "clips" / "v.teacher.csv", labelled / "clips" / "w2.teacher.csv")
    all_right = [{**s, "top": "happiness"} if s["face"] else s for s in seconds]
    (timelines / "w2.emotions.json").write_text(json.dumps({"seconds": all_right}))
    person.write_text(person.read_text() + "w2,0,happiness,x\n")
    both = score(timelines, labelled, person)
    assert (both["videos"], both["teacher"]["n"], both["person"]["n"]) == (2, 4, 4)
    second = score(timelines, labelled, person, only=["w*"])
    assert (second["videos"], second["teacher"]["accuracy"], second["person"]["n"]) == (1, 1.0, 1)
    assert set(second["per_video"]) == {"w2"}
    assert score(timelines, labelled, person, only=["v", "w2"])["teacher"]["n"] == 4
    with pytest.raises(InputError, match="--videos x\\*: matches no video"):
        score(timelines, labelled, person, only=["x*"])
    # `edge-emo score` is the same scorer on the command line, with its report folder.
    cli = run_cli("score", str(timelines), str(labelled), "--seconds", str(person),
                  "--videos", "w*", "-o", str(tmp_path / "report"))  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert "teacher agreement (seconds with teacher top >= 0.6): 1.000 on 2 seconds" in cli.stdout
    assert "person-labelled seconds: accuracy 1.000 on 1" in cli.stdout
    assert json.loads((tmp_path / "report" / "heldout-video.json").read_text())["videos"] == 1
    (timelines / "w2.emotions.json").unlink()
    # A video without a timeline: one line and exit 2, as with `edge-emo` itself.
    (timelines / "v.emotions.json").unlink()
    result = subprocess.run([sys.executable, "-m", "edge_emo.train.heldout", str(timelines),
                             str(labelled)], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 2 and "v.emotions.json: no timeline" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    cli = run_cli("score", str(timelines), str(labelled))
    assert cli.returncode == 2 and cli.stderr.strip().splitlines() == [
        f"edge-emo: error: {timelines / 'v.emotions.json'}: no timeline (run `edge-emo run` on "
        "the held-out videos)"
    ]


def test_grouped_bootstrap_resamples_videos_not_seconds():
    from edge_emo.train.metrics import grouped_bootstrap_interval

    # two videos of 10 seconds, one all right, one all wrong: 0.5, but either video alone
    # could have been the whole sample; resampling seconds would claim about +-0.22
    correct = np.r_[np.ones(10), np.zeros(10)]
    assert grouped_bootstrap_interval(correct, ["a"] * 10 + ["b"] * 10) == (0.0, 1.0)
    # 40 videos of one second each: the usual binomial spread around 0.5 (+-0.155 at 95%)
    low, high = grouped_bootstrap_interval(np.arange(40) % 2, [f"v{i}" for i in range(40)])
    assert 0.3 < low < 0.4 and 0.6 < high < 0.7
    assert grouped_bootstrap_interval(np.arange(40) % 2, [f"v{i}" for i in range(40)]) == (
        low,
        high,
    )
    with pytest.raises(ValueError, match="one group per item"):
        grouped_bootstrap_interval(np.ones(3), ["a", "b"])


def test_person_baseline_subtracts_each_persons_median_second():
    from edge_emo.train.probe_features import person_baseline

    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 9.0], [10.0, 10.0]])
    out = person_baseline(x, np.array(["a", "a", "a", "b"]))
    np.testing.assert_array_equal(out, [[-2, -2], [0, 0], [2, 5], [0, 0]])
