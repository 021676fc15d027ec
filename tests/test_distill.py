"""Real-face training data: the teacher, `edge-emo label`, stills bundles, soft-label training,
tracker-like augmentation, pattern splits and the held-out video scorer."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import FACE_CLIP, needs_tf, random_face, run_cli

from edge_emo.train.augment import NO_AUGMENT, AugmentOptions, augment_window
from edge_emo.train.data import NO_LABEL, Clip, ClipInfo, load_dataset
from edge_emo.train.splits import holdout_split, split_from_record
from edge_emo.train.teacher import DEFAULT_TEACHER, ImageTeacher, crop_face, face_crop_box
from edge_emo.train.windows import clip_windows, random_crops, window_target
from edge_runtime.errors import InputError
from edge_runtime.features.landmarks import (
    DEFAULT_MAPPING,
    LEGACY_MAPPING,
    MAPPINGS,
    interocular_distance,
)
from edge_runtime.features.normalise import NormalisationSpec, face_centre
from edge_runtime.labels import LABELS

# --------------------------------------------------------------------------- pure parts


def test_face_crop_box_is_square_with_margin_and_pads_outside_the_image():
    mesh = np.array([[10.0, 20.0], [50.0, 40.0]])  # 40 wide, 20 high
    x0, y0, x1, y1 = face_crop_box(mesh, 0.25, (100, 100))
    assert x1 - x0 == y1 - y0 == 60  # 40 * (1 + 2 * 0.25)
    assert (x0 + x1) / 2 == pytest.approx(30, abs=1) and (y0 + y1) / 2 == pytest.approx(30, abs=1)
    image = np.arange(100, dtype=np.uint8).reshape(10, 10)
    crop = crop_face(image, (-2, -2, 4, 4))
    assert crop.shape == (6, 6)
    assert crop[0, 0] == image[0, 0] and crop[5, 5] == image[3, 3]  # edge-padded, then the image


def test_window_target_weights_frames_by_teacher_confidence():
    sure = np.eye(7)[1] * 0.9 + 0.1 / 7  # happiness, top 0.914
    unsure = np.full(7, 1 / 7)  # top 0.143
    soft = np.stack([sure, unsure, np.full(7, np.nan)])  # the third frame had no face
    clip = Clip(ClipInfo(FACE_CLIP, NO_LABEL, "p"), random_face(np.random.default_rng(0), 3), soft)
    target, weight = window_target(clip, 0, 3)
    c1, c2 = sure.max(), unsure.max()
    assert np.allclose(target, (sure * c1 + unsure * c2) / (c1 + c2))
    assert weight == pytest.approx(target.max()) and target.argmax() == 1
    hard = Clip(ClipInfo(FACE_CLIP, 3, "p"), clip.points, soft)  # a person's label wins
    assert window_target(hard, 0, 3)[0].argmax() == 3
    assert (
        window_target(Clip(ClipInfo(FACE_CLIP, NO_LABEL, "p"), clip.points, soft[2:]), 0, 1) is None
    )


def test_soft_labels_follow_the_frames_they_were_made_on():
    from edge_emo.train.data import nearest_rows

    times = np.array([0.0, 0.04, 0.08, 0.5])  # 25 fps, then a gap
    values = np.arange(4)[:, None] * np.ones((1, 7))
    rows = nearest_rows(times, values, 16, 30.0)  # frames at 0, 1/30, ... 0.5 s
    assert rows[:4, 0].tolist() == [0, 1, 2, 2] and rows[-1, 0] == 3
    assert nearest_rows(times[:1], values[:1], 3, 30.0).shape == (3, 7)


def test_augmentation_moves_points_like_a_tracker():
    rng = np.random.default_rng(0)
    window = random_face(rng)
    assert augment_window(window, rng, NO_AUGMENT) is window
    jitter_only = AugmentOptions(jitter=0.02, rotate_deg=0, scale=0, drop_prob=0)
    moved = augment_window(window, rng, jitter_only)
    iod = np.median(interocular_distance(window))
    assert np.std(moved - window) == pytest.approx(0.02 * iod, rel=0.1)
    dropping = AugmentOptions(jitter=0, rotate_deg=30, scale=0, drop_prob=1.0, drop_max=5)
    out = augment_window(window, rng, dropping)
    lost = ~np.isfinite(out).all(axis=(1, 2))
    assert 1 <= lost.sum() <= 5 and np.ptp(np.flatnonzero(lost)) == lost.sum() - 1  # one run
    kept = out[~lost]
    assert np.allclose(interocular_distance(kept), interocular_distance(window[~lost]))  # rigid


def test_mirror_augmentation_reflects_the_face_and_keeps_point_roles():
    from edge_emo.train.synth import symmetric_neutral

    rng = np.random.default_rng(0)
    window = random_face(rng)
    mirror_only = AugmentOptions(jitter=0, rotate_deg=0, scale=0, drop_prob=0, mirror_prob=1.0)
    out = augment_window(window, rng, mirror_only)
    # Point 36 (the image-left eye's outer corner) now sits where point 45 (the other eye's
    # outer corner) was reflected: x mirrored about the face centre, y unchanged.
    centre_x = face_centre(window).mean(axis=0)[0]
    assert np.allclose(out[:, 36, 0], 2 * centre_x - window[:, 45, 0])
    assert np.allclose(out[:, 36, 1], window[:, 45, 1])
    assert np.allclose(interocular_distance(out), interocular_distance(window))
    assert np.allclose(augment_window(out, rng, mirror_only), window)  # twice = identity
    face = np.repeat(symmetric_neutral()[None], 4, axis=0) * 50 + 200  # a symmetric face
    assert np.allclose(augment_window(face, rng, mirror_only), face)
    assert AugmentOptions().mirror_prob == 0  # off unless asked for (`train --mirror`)


def _turned(points: np.ndarray, degrees: float, scale: float, shift: tuple) -> np.ndarray:
    """Points rotated about the origin, scaled and moved: the same face elsewhere in a frame."""
    a = np.deg2rad(degrees)
    rotation = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return points @ rotation.T * scale + np.asarray(shift)


def test_real_talking_motion_is_measured_and_laid_back_in_the_face_frame():
    from edge_emo.train.motion import face_motion, overlay_motion
    from edge_emo.train.synth import NEUTRAL

    face = NEUTRAL * 80 + np.array([320.0, 240.0])
    talking = np.repeat(face[None], 30, axis=0)
    talking[:, 57, 1] += 8 * np.sin(np.linspace(0, 6 * np.pi, 30))  # the lower lip moves
    motion = face_motion(talking)
    assert np.allclose(motion.mean(axis=0), 0)  # the person's shape is gone, the motion stays
    assert np.abs(np.delete(motion, 57, axis=1)).max() < 1e-9  # nothing else moved
    # A head that only turns, nears and moves in the frame has no face motion.
    held = np.stack([_turned(face, d, 1 + d / 100, (d, -d)) for d in range(30)])
    assert np.abs(face_motion(held)).max() < 1e-9
    # Laid on a still of another size and roll, it moves the still's lower lip along the
    # still's own face axes, by the same share of its inter-ocular distance.
    still = np.repeat(_turned(face, 30.0, 2.0, (50.0, 80.0))[None], 30, axis=0)
    moved = overlay_motion(still, motion)
    assert np.allclose(face_motion(moved), motion, atol=1e-9)
    assert np.allclose(np.delete(moved, 57, axis=1), np.delete(still, 57, axis=1))


def test_motion_bank_takes_only_calm_fully_tracked_video_and_stills_get_it_when_asked():
    from edge_emo.train.motion import NEUTRAL, face_motion, motion_bank

    rng = np.random.default_rng(0)
    calm, happy = np.eye(7)[NEUTRAL] * 0.9 + 0.1 / 7, np.eye(7)[1] * 0.9 + 0.1 / 7
    relaxed = random_face(rng, 60)
    relaxed[:, 57, 1] += 5 * np.sin(np.arange(60))  # talking: the lower lip moves up and down
    smiling = random_face(rng, 60)
    smiling[:, 48, 0] -= 5 * np.sin(np.arange(60))  # a mouth corner moves sideways
    lost = random_face(rng, 60)
    lost[::10] = np.nan  # never fully tracked for 30 frames
    clips = [
        Clip(ClipInfo(FACE_CLIP, NO_LABEL, "a"), relaxed, np.tile(calm, (60, 1))),
        Clip(ClipInfo(FACE_CLIP, NO_LABEL, "b"), smiling, np.tile(happy, (60, 1))),
        Clip(ClipInfo(FACE_CLIP, NO_LABEL, "c"), lost, np.tile(calm, (60, 1))),
        Clip(ClipInfo(FACE_CLIP, 1, "d"), random_face(rng, 1)),  # a still: no motion
    ]
    bank = motion_bank(clips, 30, 20, np.random.default_rng(1))
    assert bank.shape == (20, 30, 68, 2)
    windows = [face_motion(relaxed[s : s + 30]) for s in range(31)]
    assert all(any(np.allclose(m, w, atol=1e-5) for w in windows) for m in bank)  # all "a"
    assert len(motion_bank(clips[1:], 30, 20, np.random.default_rng(1))) == 0  # none calm
    assert len(motion_bank(clips[3:], 30, 20, np.random.default_rng(1))) == 0  # no video

    # A held still moves with real talking only when asked; otherwise nothing changes,
    # the random stream included.
    spec = NormalisationSpec()
    quiet = AugmentOptions(jitter=0, rotate_deg=0, scale=0, drop_prob=0)
    talks = AugmentOptions(jitter=0, rotate_deg=0, scale=0, drop_prob=0, real_talk_prob=1.0)
    stills = [clips[3]]
    held = random_crops(stills, 30, 1, np.random.default_rng(2), spec, quiet, motion=bank)
    assert np.ptp(held.x[0], axis=0).max() == 0
    moving = random_crops(stills, 30, 1, np.random.default_rng(2), spec, talks, motion=bank)
    assert np.ptp(moving.x[0], axis=0).max() > 0.01
    plain = random_crops(stills, 30, 1, np.random.default_rng(2), spec, quiet)
    assert np.array_equal(held.x, plain.x) and held.targets.argmax() == 1
    assert AugmentOptions().real_talk_prob == 0  # off unless asked for (`train --real-talk`)


def test_identity_bank_holds_neutral_stills_resting_shapes_and_windows_get_one_when_asked():
    """Each human-labelled neutral still's aligned shape minus their mean (another person's
    resting face, in the face frame); with `identity_prob` a window gets one on every frame,
    turned and scaled into its own face frame; otherwise nothing changes, random stream
    included."""
    from edge_emo.train.motion import NEUTRAL, identity_bank
    from edge_emo.train.synth import NEUTRAL as NEUTRAL_FACE

    face = NEUTRAL_FACE * 80 + np.array([320.0, 240.0])
    down, up = face.copy(), face.copy()
    down[[48, 54], 1] += 4.0  # mouth corners lower: a face that looks sad at rest
    up[[48, 54], 1] -= 4.0  # and higher
    teacher = np.eye(7)[NEUTRAL][None]
    clips = [
        Clip(ClipInfo(FACE_CLIP, NEUTRAL, "a"), _turned(down, 20.0, 2.0, (5, 9))[None], teacher),
        Clip(ClipInfo(FACE_CLIP, NEUTRAL, "b"), up[None]),
        Clip(ClipInfo(FACE_CLIP, 1, "c"), face[None]),  # a smiling still: not a resting face
        Clip(ClipInfo(FACE_CLIP, NEUTRAL, "d"), np.repeat(face[None], 60, axis=0)),  # video
    ]
    bank = identity_bank(clips, 10, np.random.default_rng(0))
    assert bank.shape == (2, 68, 2) and np.allclose(bank.sum(axis=0), 0, atol=1e-6)
    corners = sorted(float(b[48, 1]) for b in bank)  # one corner below the mean, one above
    assert corners[0] < -0.01 < 0.01 < corners[1]
    assert np.abs(np.delete(bank, [48, 54], axis=1)).max() < 1e-5  # nothing else differs
    assert len(identity_bank(clips[1:], 10, np.random.default_rng(0))) == 0  # one neutral still

    spec = NormalisationSpec()
    quiet = AugmentOptions(jitter=0, rotate_deg=0, scale=0, drop_prob=0)
    shifted = AugmentOptions(jitter=0, rotate_deg=0, scale=0, drop_prob=0, identity_prob=1.0)
    video = [clips[3]]
    plain = random_crops(video, 30, 1, np.random.default_rng(2), spec, quiet)
    asked = random_crops(video, 30, 1, np.random.default_rng(2), spec, shifted, identity=bank)
    unasked = random_crops(video, 30, 1, np.random.default_rng(2), spec, quiet, identity=bank)
    assert np.array_equal(plain.x, unasked.x)
    change = asked.x[0] - plain.x[0]
    assert np.ptp(change, axis=0).max() < 1e-5  # the same offset on every frame: no motion
    assert np.abs(change).max() > 0.01
    assert AugmentOptions().identity_prob == 0  # off unless asked for (`train --identity`)


def test_stills_become_windows_and_soft_only_clips_train():
    rng = np.random.default_rng(1)
    still = Clip(ClipInfo(FACE_CLIP, 2, "a"), random_face(rng, 1))
    soft = np.tile(np.eye(7)[6], (120, 1))
    video = Clip(ClipInfo(FACE_CLIP, NO_LABEL, "b"), random_face(rng, 120), soft)
    crops = random_crops([still, video], 90, 3, rng, NormalisationSpec(), AugmentOptions())
    assert crops.x.shape[1:] == (90, 136) and len(crops) >= 4  # a dropped run may reject one
    assert set(crops.targets.argmax(axis=1)) <= {2, 6}
    x, y, owners = clip_windows([still, video], 90, 15, NormalisationSpec())
    assert (y[owners == 0] == 2).all() and (y[owners == 1] == 6).all()
    assert np.allclose(x[owners == 0][0], x[owners == 0][0][0])  # held still: every frame equal


def test_an_unsure_teachers_windows_can_be_left_out():
    unsure = np.tile([0.35, 0.0, 0.0, 0.4, 0.0, 0.0, 0.25], (30, 1))  # talking read as 40% anger
    sure = np.tile(np.eye(7)[1] * 0.9 + 0.1 / 7, (30, 1))
    clip = Clip(ClipInfo(FACE_CLIP, NO_LABEL, "p"), random_face(np.random.default_rng(4), 60),
                np.concatenate([unsure, sure]))  # fmt: skip
    target, weight = window_target(clip, 0, 30)
    assert weight == pytest.approx(0.4) and target.argmax() == 3  # kept, weighted, by default
    assert window_target(clip, 0, 30, min_confidence=0.5) is None
    assert window_target(clip, 30, 60, min_confidence=0.5)[0].argmax() == 1
    labelled = Clip(ClipInfo(FACE_CLIP, 2, "p"), clip.points, clip.soft)
    assert window_target(labelled, 0, 30, min_confidence=0.5)[0].argmax() == 2  # a person's label


def test_teacher_mix_blends_a_human_label_with_the_teachers_view():
    from edge_emo.train.config import TrainConfig

    teacher = np.tile(
        [0.1, 0.6, 0.0, 0.0, 0.0, 0.0, 0.3], (1, 1)
    )  # a still the teacher calls happy
    still = Clip(ClipInfo(FACE_CLIP, 6, "p"), random_face(np.random.default_rng(5), 1), teacher)
    target, weight = window_target(still, 0, 30, teacher_mix=0.3)
    assert weight == 1.0 and target.sum() == pytest.approx(1.0)
    assert target == pytest.approx(0.7 * np.eye(7)[6] + 0.3 * teacher[0])
    assert target.argmax() == 6  # the person's label still leads
    assert (window_target(still, 0, 30)[0] == np.eye(7)[6]).all()  # no mix: one-hot, as before
    no_teacher = Clip(still.info, still.points, None)
    assert (window_target(no_teacher, 0, 30, teacher_mix=0.3)[0] == np.eye(7)[6]).all()
    crops = random_crops([still], 30, 2, np.random.default_rng(0), NormalisationSpec(),
                         targets=TrainConfig(teacher_mix=0.3).targets)  # fmt: skip
    assert np.allclose(crops.targets, target)
    with pytest.raises(InputError, match="teacher mix"):
        TrainConfig(teacher_mix=1.5)


def test_video_windows_come_only_from_video_in_proportion_to_length():
    from edge_emo.train.config import TrainConfig
    from edge_emo.train.windows import concat_crops, video_crops

    rng = np.random.default_rng(2)
    stills = [Clip(ClipInfo(FACE_CLIP, 2, f"s{i}"), random_face(rng, 1)) for i in range(50)]
    short = Clip(
        ClipInfo(FACE_CLIP, NO_LABEL, "a"), random_face(rng, 100), np.tile(np.eye(7)[1], (100, 1))
    )  # 11 windows' worth, all happiness
    long = Clip(
        ClipInfo(FACE_CLIP, NO_LABEL, "b"), random_face(rng, 189), np.tile(np.eye(7)[6], (189, 1))
    )  # 100 windows' worth, all surprise
    config = TrainConfig(video_windows=300, augment=NO_AUGMENT)
    crops = video_crops([*stills, short, long], config, rng, NormalisationSpec())
    tops = crops.targets.argmax(axis=1)
    assert len(crops) == 300 and set(tops) <= {1, 6}  # no still was drawn
    assert 0.8 < (tops == 6).mean() < 0.97  # 100 of 111 window starts are in the long clip
    both = concat_crops(crops, crops)
    assert len(both) == 600 and both.weights.shape == (600,)
    assert len(video_crops(stills, config, rng, NormalisationSpec())) == 0  # no video: nothing


def test_int8_calibration_takes_half_its_windows_from_video_when_stills_dominate():
    from edge_emo.convert.converter import calibration_windows
    from edge_emo.train.config import TrainConfig

    rng = np.random.default_rng(3)
    stills = [Clip(ClipInfo(FACE_CLIP, 2, f"s{i}"), random_face(rng, 1)) for i in range(400)]
    moving = random_face(rng, 300) + rng.normal(0, 3, (300, 68, 2))  # a face that moves
    video = Clip(ClipInfo(FACE_CLIP, NO_LABEL, "v"), moving, np.tile(np.eye(7)[1], (300, 1)))
    spec, config = NormalisationSpec(), TrainConfig(augment=NO_AUGMENT)

    def still_windows(windows):  # a held still is the same frame 90 times
        return int(np.all(windows == windows[:, :1], axis=(1, 2)).sum())

    mixed = calibration_windows([*stills, video], config, spec, 200)
    assert mixed.shape == (200, 90, 136) and still_windows(mixed) == 100
    only_stills = calibration_windows(stills, config, spec, 200)  # one kind: a window per clip
    assert len(only_stills) == 200 and still_windows(only_stills) == 200


def test_feature_probe_averages_each_second_and_skips_untracked_ones():
    from edge_emo.train.probe_features import second_features

    rng = np.random.default_rng(4)
    t = np.arange(60) / 20.0  # 3 s at 20 fps
    points = random_face(rng, 60)
    points[20:36] = np.nan  # second 1: only 4 tracked frames
    bs = rng.uniform(0, 1, (60, 52))
    out = second_features({"t": t, "points": points, "bs": bs})
    assert sorted(out) == [0, 2]
    landmarks, blendshapes = out[2]
    assert landmarks.shape == (136,) and np.allclose(blendshapes, bs[40:60].mean(axis=0))


def test_subject_patterns_split_and_round_trip_through_the_metadata():
    subjects = [f"fer-Training-{i}" for i in range(5)] + ["fer-PublicTest-1", "ck-S005", "ck-S010"]
    split = holdout_split(subjects, ["fer-PublicTest-*", "ck-S*5"], ["ck-S010"])
    assert split.val == ["fer-PublicTest-1", "ck-S005"] and split.test == ["ck-S010"]
    assert len(split.train) == 5
    record = split.to_dict()
    assert "train" not in record and record["counts"]["train"] == 5  # patterns, not 30k names
    assert split_from_record(record, subjects) == split
    plain = holdout_split(subjects, ["ck-S005"], ["ck-S010"]).to_dict()
    assert plain["val"] == ["ck-S005"] and len(plain["train"]) == 6


# --------------------------------------------------------------------------- the teacher


def test_default_teacher_reads_a_real_face():
    from edge_runtime.face_landmarks import FaceLandmarker, FaceLandmarkerOptions, RunningMode
    from edge_runtime.sources.video import read_video

    teacher = ImageTeacher.create()
    assert teacher.sha256 == teacher.config.sha256 and teacher.path == DEFAULT_TEACHER
    frame = next(iter(read_video(FACE_CLIP)))
    with FaceLandmarker.create(FaceLandmarkerOptions(running_mode=RunningMode.IMAGE)) as lm:
        observation = lm.detect(frame)
    probs = teacher.predict(frame.image, observation.mesh)
    assert probs.shape == (7,) and probs.sum() == pytest.approx(1, abs=1e-3)


def _teacher_copy(tmp_path, **changes):
    model = tmp_path / "t.tflite"
    shutil.copy(DEFAULT_TEACHER, model)
    config = json.loads(DEFAULT_TEACHER.with_suffix(".json").read_text())
    config.update(changes)
    model.with_suffix(".json").write_text(json.dumps(config))
    return model


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: _teacher_copy(p, labels=["a"] * 7), "labels must name each of"),
        (lambda p: _teacher_copy(p, sha256="0" * 64), "does not match its config"),
        (lambda p: _teacher_copy(p, input_size=32), "teacher input is"),
        (lambda p: _teacher_copy(p).with_suffix(".json").unlink() or p / "t.tflite", "config not found"),
        (lambda p: (_teacher_copy(p, sha256=None).write_bytes(b"junk" * 50), p / "t.tflite")[1], "not a loadable"),
        (lambda p: p / "missing.tflite", "teacher model not found"),
    ],
)  # fmt: skip
def test_a_wrong_or_corrupt_teacher_is_one_line_and_exit_3(tmp_path, make, words):
    teacher = make(tmp_path)
    result = run_cli(
        "label", str(FACE_CLIP), "-o", str(tmp_path / "out"), "--teacher", str(teacher)
    )
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "labels.csv").exists()


def test_label_command_writes_landmarks_soft_labels_and_the_teacher(tmp_path):
    out = tmp_path / "data"
    result = run_cli("label", str(FACE_CLIP), "-o", str(out), "--subject", "woman")
    assert result.returncode == 0, result.stderr
    landmarks = (out / "clips" / "face_clip.csv").read_text().splitlines()
    with open(out / "clips" / "face_clip.teacher.csv") as handle:
        soft = list(csv.DictReader(handle))
    assert len(soft) == len(landmarks) - 1 == 472  # one row per frame
    faces = [r for r in soft if r["face"] == "1"]
    assert len(faces) > 400
    for row in faces:
        probs = [float(row[label]) for label in LABELS]
        assert sum(probs) == pytest.approx(1, abs=2e-3) and float(row["confidence"]) == max(probs)
    rows = list(csv.DictReader((out / "labels.csv").read_text().splitlines()))
    assert rows == [{"file": "clips/face_clip.csv", "label": "", "subject": "woman",
                     "soft": "clips/face_clip.teacher.csv", "video": FACE_CLIP.as_posix()}]  # fmt: skip
    record = json.loads((out / "teacher.json").read_text())
    assert record["name"] == "fer2013-mini-xception" and len(record["sha256"]) == 64
    assert record["landmark_mapping"] == DEFAULT_MAPPING  # which 478->68 table made the points
    dataset = load_dataset(out, workers=1)
    (clip,) = dataset.clips
    assert clip.soft.shape == (len(clip.points), 7) and clip.label in range(7)
    # The clip cries and then laughs: the teacher's seconds say so (what training learns from).
    by_second = {}
    for row in faces:
        by_second.setdefault(int(float(row["timestamp"])), []).append(
            [float(row[label]) for label in LABELS]
        )
    tops = {t: LABELS[int(np.mean(v, axis=0).argmax())] for t, v in by_second.items()}
    assert tops[12] == tops[14] == "happiness"


def test_label_with_a_people_list_labels_only_those_videos_with_their_person(tmp_path):
    videos = tmp_path / "videos" / "set"
    videos.mkdir(parents=True)
    shutil.copy(FACE_CLIP.with_name("vfr_24_12fps.mp4"), videos / "laughing.mp4")
    shutil.copy(FACE_CLIP.with_name("no_face.mp4"), videos / "left-out.mp4")
    people = tmp_path / "people.csv"
    people.write_text("video,subject,label\nset/laughing.mp4,anna,happiness\n")
    out = tmp_path / "data"
    source = '{"repository": "x/y", "path": "set", "licence": "CC0"}'
    result = run_cli(
        "label", str(videos), "-o", str(out), "--people", str(people), "--source", source
    )
    assert result.returncode == 0, result.stderr
    assert "1 of 2 videos listed" in result.stdout
    rows = list(csv.DictReader((out / "labels.csv").read_text().splitlines()))
    assert rows == [{"file": "clips/laughing.csv", "label": "happiness", "subject": "anna",
                     "soft": "clips/laughing.teacher.csv",
                     "video": (videos / "laughing.mp4").as_posix()}]  # fmt: skip
    # The model card's counts are measured, not typed: 1 person, 1 video, minutes with a face.
    landmarks = list(
        csv.DictReader(
            (out / "clips" / "laughing.csv").read_text().splitlines(), skipinitialspace=True
        )
    )
    seconds = float(landmarks[-1]["timestamp"])
    (record,) = json.loads((out / "sources.json").read_text())
    assert record["licence"] == "CC0" and (record["people"], record["videos"]) == (1, 1)
    assert 0 < record["minutes"] <= seconds / 60 + 0.01
    assert record["labels"] == "human: the --people label of the clip (1 video)"
    assert not (out / "clips" / "left-out.csv").exists()
    people.write_text("video,subject,label\nset/laughing.mp4,anna,joy\n")
    bad = run_cli(
        "label", str(tmp_path / "videos"), "-o", str(tmp_path / "d2"), "--people", str(people)
    )
    assert bad.returncode == 2 and "label 'joy' is not one of" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_label_never_overwrites_one_video_with_another_of_the_same_name(tmp_path):
    short = FACE_CLIP.with_name("vfr_24_12fps.mp4")
    for camera in ("front", "side"):
        (tmp_path / camera).mkdir()
        shutil.copy(short, tmp_path / camera / "GOPR0001.mp4")
    out = tmp_path / "data"
    for camera in ("front", "side", "front"):  # the last run relabels the first video
        result = run_cli("label", str(tmp_path / camera / "GOPR0001.mp4"), "-o", str(out))
        assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((out / "labels.csv").read_text().splitlines()))
    assert [(r["file"], r["video"]) for r in rows] == [
        ("clips/GOPR0001.csv", (tmp_path / "front" / "GOPR0001.mp4").as_posix()),
        ("clips/side-GOPR0001.csv", (tmp_path / "side" / "GOPR0001.mp4").as_posix()),
    ]
    assert (out / "clips" / "side-GOPR0001.teacher.csv").is_file()
    assert len(load_dataset(out, workers=1).clips) == 2


def test_label_source_is_recorded_and_reaches_the_models_metadata(tmp_path):
    from edge_emo.train.label import record_source
    from edge_emo.train.trainer import data_provenance

    first = {"repository": "a/b", "commit": "1" * 40, "path": "clips", "licence": "research use"}
    record_source(tmp_path, first)
    record_source(tmp_path, {**first, "people": 3})  # the same repository and path: replaced
    record_source(tmp_path, {"repository": "c/d", "path": "v", "licence": "MIT"})
    sources = data_provenance(tmp_path)
    assert [s["repository"] for s in sources] == ["a/b", "c/d"] and sources[0]["people"] == 3
    bad = run_cli("label", str(FACE_CLIP), "-o", str(tmp_path / "x"), "--source", "[1, 2]")
    assert bad.returncode == 2 and "expected a JSON object" in bad.stderr


def test_label_refuses_to_mix_teachers_in_one_folder(tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    (out / "teacher.json").write_text(json.dumps({"name": "other", "sha256": "f" * 64}))
    result = run_cli("label", str(FACE_CLIP), "-o", str(out))
    assert result.returncode == 2 and "labelled by teacher other" in result.stderr
    assert not (out / "labels.csv").exists()


def test_label_refuses_to_mix_478_to_68_tables_in_one_folder(tmp_path):
    """A folder labelled before the symmetric table (no mapping recorded: the first table)."""
    out = tmp_path / "data"
    out.mkdir()
    (out / "teacher.json").write_text(json.dumps(ImageTeacher.create(DEFAULT_TEACHER).describe()))
    result = run_cli("label", str(FACE_CLIP), "-o", str(out))
    assert result.returncode == 2, result.stderr
    assert (
        f"labelled with the 478->68 table {LEGACY_MAPPING}, not {DEFAULT_MAPPING}" in result.stderr
    )
    assert not (out / "labels.csv").exists()


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ({}, DEFAULT_MAPPING),  # hand-made labels.csv over `extract` CSVs: today's table
        ({"a.stills.json": {}}, LEGACY_MAPPING),  # a bundle from before the record
        ({"a.stills.json": {"landmark_mapping": "symmetric-v2"}, "teacher.json": {
            "landmark_mapping": "symmetric-v2"}}, "symmetric-v2"),
        ({"a.stills.json": {"landmark_mapping": "symmetric-v2"}, "teacher.json": {}}, "different"),
        ({"teacher.json": {"landmark_mapping": "mystery"}}, "unknown landmark mapping"),
    ],
)  # fmt: skip
def test_a_data_folders_table_is_read_from_its_records(tmp_path, records, expected):
    from edge_emo.train.data import data_mapping

    for name, record in records.items():
        (tmp_path / name).write_text(json.dumps(record))
    if expected in MAPPINGS:
        assert data_mapping(tmp_path) == expected
    else:
        with pytest.raises(InputError, match=expected):
            data_mapping(tmp_path)


def test_stills_bundle_from_labelled_images(tmp_path):
    from edge_emo.train.stills import build_stills

    images = tmp_path / "images"
    cap = cv2.VideoCapture(str(FACE_CLIP))
    for index, folder in [
        (30, "sad"),
        (60, "sad"),
        (300, "happy"),
        (330, "happy"),
        (360, "contempt"),
    ]:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
        assert ok
        (images / folder).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(images / folder / f"f{index}.png"), cv2.resize(frame, (96, 54)))  # small
    (images / "happy" / "broken.png").write_bytes(b"not an image")
    data = tmp_path / "data"
    record = build_stills(images, "folders", data / "faces.stills.npz", teacher_path=DEFAULT_TEACHER,
                          workers=1, log=lambda *a: None)  # fmt: skip
    assert record["images"] == 4 and record["people"] == 4
    assert record["landmark_mapping"] == DEFAULT_MAPPING
    assert record["skipped"] == {"contempt (not one of the 7 labels)": 1, "no face found": 1}
    assert record["class_counts"]["sadness"] == record["class_counts"]["happiness"] == 2
    dataset = load_dataset(data)
    assert len(dataset.clips) == 4 and all(c.still for c in dataset.clips)
    assert all(c.soft is not None and c.soft.shape == (1, 7) for c in dataset.clips)
    assert sorted(c.label for c in dataset.clips) == [1, 1, 2, 2]


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
    (timelines / "w2.emotions.json").unlink()
    # A video without a timeline: one line and exit 2, as with `edge-emo` itself.
    (timelines / "v.emotions.json").unlink()
    result = subprocess.run([sys.executable, "-m", "edge_emo.train.heldout", str(timelines),
                             str(labelled)], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 2 and "v.emotions.json: no timeline" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


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
