"""Data loading: RAVDESS names and layout, calm policy, labels.csv sets, subject splits, synthetic data."""

from __future__ import annotations

import numpy as np
import pytest

from edge_emo.train.data import list_clips, load_dataset, parse_ravdess_name
from edge_emo.train.splits import holdout_split, kfold_subjects
from edge_emo.train.synth import HEADER, NEUTRAL, clip_csv, generate, write_dataset
from edge_runtime.errors import InputError
from edge_runtime.labels import LABELS


def test_ravdess_names_carry_every_attribute():
    info = parse_ravdess_name("02-02-06-02-01-02-13.csv")
    assert LABELS[info.label] == "fear" and info.subject == "13"
    assert info.attributes == {
        "modality": "video-only", "channel": "song", "emotion": "fear", "intensity": "strong",
        "statement": "1", "repetition": "2", "sex": "male",
    }  # fmt: skip
    assert parse_ravdess_name("01-01-02-01-01-01-04.csv") is None  # calm dropped by default
    assert LABELS[parse_ravdess_name("01-01-02-01-01-01-04.csv", calm="neutral").label] == "neutral"
    for bad in ("01-01-09-01-01-01-01.csv", "readme.csv", "01-01-03-01-01-01.csv"):
        with pytest.raises(ValueError):
            parse_ravdess_name(bad)


def write_clip(folder, name, frames=100, missing=()):
    rng = np.random.default_rng(len(name) + frames)
    points = NEUTRAL[None] * 100 + 400 + rng.normal(0, 0.5, (frames, 68, 2))
    points[list(missing)] = np.nan
    (folder / name).write_text(clip_csv(points))


def test_odd_fixtures_load_with_calm_policy_and_gaps(tmp_path):
    write_clip(tmp_path, "01-01-01-01-01-01-01.csv")  # neutral
    write_clip(tmp_path, "01-01-02-01-01-01-01.csv")  # calm
    write_clip(tmp_path, "01-02-04-02-02-01-02.csv", frames=40)  # song, short clip
    write_clip(tmp_path, "01-01-08-02-01-01-02.csv", missing=range(20, 30))  # failed frames
    (tmp_path / "notes.csv").write_text("not,a,clip\n")
    infos, source, skipped = list_clips(tmp_path)
    assert source == "ravdess" and len(infos) == 3
    assert skipped == {"calm (dropped)": 1, "not a RAVDESS name": 1}
    data = load_dataset(tmp_path, calm="neutral", workers=1)
    assert data.class_counts()["neutral"] == 2 and len(data.clips) == 4
    gappy = next(c for c in data.clips if LABELS[c.label] == "surprise")
    assert np.isnan(gappy.points[20:30]).all() and np.isfinite(gappy.points[:20]).all()


def test_labels_csv_dataset(tmp_path):
    write_clip(tmp_path, "a.csv")
    write_clip(tmp_path, "b.csv")
    (tmp_path / "labels.csv").write_text(
        "file,label,subject\na.csv,happiness,alice\nb.csv,anger,bob\n"
    )
    data = load_dataset(tmp_path, workers=1)
    assert data.source == "labelled-csv" and data.subjects == ["alice", "bob"]
    (tmp_path / "labels.csv").write_text("file,label,subject\na.csv,calm,alice\n")
    with pytest.raises(InputError, match="unknown label 'calm'"):
        load_dataset(tmp_path)


def test_empty_or_missing_data_dirs(tmp_path):
    with pytest.raises(InputError, match="no labelled clips"):
        load_dataset(tmp_path)
    with pytest.raises(InputError, match="no such folder"):
        load_dataset(tmp_path / "nope")


def test_splits_never_share_subjects():
    subjects = [f"{i:02d}" for i in range(1, 25)]
    split = holdout_split(subjects)
    assert split.test == ["03", "08", "13", "18", "23"] and split.val == ["05", "10", "15", "20"]
    assert not set(split.train) & (set(split.val) | set(split.test))
    assert sorted(split.train + split.val + split.test) == subjects
    folds = kfold_subjects(subjects, 4)
    assert sorted(s for fold in folds for s in fold) == subjects and all(len(f) == 6 for f in folds)
    with pytest.raises(ValueError):
        holdout_split(subjects, val=["03"], test=["03"])


def test_synthetic_set_is_deterministic_and_in_ravdess_format(tmp_path):
    first = [(n, p) for n, p in generate(actors=2, seed=7, repetitions=1)]
    again = [(n, p) for n, p in generate(actors=2, seed=7, repetitions=1)]
    assert [n for n, _ in first] == [n for n, _ in again]
    np.testing.assert_array_equal(np.nan_to_num(first[3][1]), np.nan_to_num(again[3][1]))
    assert len(first) == 2 * (1 + 6 * 2) * 2
    count = write_dataset(tmp_path, actors=2, seed=7, repetitions=1)
    files = sorted(tmp_path.glob("*.csv"))
    assert count == len(files) == 52
    header = files[0].read_text().splitlines()[0].split(",")
    assert header == HEADER and len(header) == 712
    data = load_dataset(tmp_path, workers=1)
    assert set(data.class_counts().values()) == {4, 8}  # neutral has no strong intensity


def test_synthetic_expressions_move_the_right_points():
    """Happiness lifts the lip corners; surprise raises the brows and drops the jaw."""
    from edge_emo.train.synth import AU_PATTERNS

    assert AU_PATTERNS[12][48, 1] < 0 and AU_PATTERNS[12][54, 1] < 0  # up (y grows downward)
    assert AU_PATTERNS[12][48, 0] < 0 < AU_PATTERNS[12][54, 0]  # outward on both sides
    assert (AU_PATTERNS[1][[20, 21, 22, 23], 1] < 0).all()
    assert AU_PATTERNS[26][8, 1] > 0.1
