"""Training windows from real-face data: tracker-like augmentation, real motion and resting-shape
banks, teacher targets, video windows, int8 calibration windows, the per-second feature probe
and subject-pattern splits."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FACE_CLIP, random_face, turned

from edge_emo.train.augment import NO_AUGMENT, AugmentOptions, augment_window
from edge_emo.train.data import NO_LABEL, Clip, ClipInfo
from edge_emo.train.splits import holdout_split, split_from_record
from edge_emo.train.windows import TargetOptions, clip_windows, random_crops, window_target
from edge_runtime.errors import InputError
from edge_runtime.features.landmarks import (
    interocular_distance,
)
from edge_runtime.features.normalise import NormalisationSpec, face_centre

# --------------------------------------------------------------------------- pure parts


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
    held = np.stack([turned(face, d, 1 + d / 100, (d, -d)) for d in range(30)])
    assert np.abs(face_motion(held)).max() < 1e-9
    # Laid on a still of another size and roll, it moves the still's lower lip along the
    # still's own face axes, by the same share of its inter-ocular distance.
    still = np.repeat(turned(face, 30.0, 2.0, (50.0, 80.0))[None], 30, axis=0)
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
        Clip(ClipInfo(FACE_CLIP, NEUTRAL, "a"), turned(down, 20.0, 2.0, (5, 9))[None], teacher),
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
    assert window_target(clip, 0, 30, TargetOptions(min_confidence=0.5)) is None
    assert window_target(clip, 30, 60, TargetOptions(min_confidence=0.5))[0].argmax() == 1
    labelled = Clip(ClipInfo(FACE_CLIP, 2, "p"), clip.points, clip.soft)
    assert window_target(labelled, 0, 30, TargetOptions(min_confidence=0.5))[0].argmax() == 2


def test_unsure_windows_can_be_pulled_towards_neutral_instead():
    from edge_emo.train.config import TrainConfig

    unsure = np.tile([0.35, 0.0, 0.0, 0.4, 0.0, 0.0, 0.25], (30, 1))  # talking read as 40% anger
    sure = np.tile(np.eye(7)[1] * 0.9 + 0.1 / 7, (30, 1))
    clip = Clip(ClipInfo(FACE_CLIP, NO_LABEL, "p"), random_face(np.random.default_rng(4), 60),
                np.concatenate([unsure, sure]))  # fmt: skip
    targets = TrainConfig(min_teacher_confidence=0.5, unsure_neutral=0.5).targets
    target, weight = window_target(clip, 0, 30, targets)
    assert target == pytest.approx(0.5 * unsure[0] + 0.5 * np.eye(7)[0])
    assert target.argmax() == 0 and target[3] == pytest.approx(0.2) and weight == 0.5
    assert window_target(clip, 30, 60, targets)[0] == pytest.approx(sure[0])  # a sure teacher
    labelled = Clip(ClipInfo(FACE_CLIP, 2, "p"), clip.points, clip.soft)
    assert (window_target(labelled, 0, 30, targets)[0] == np.eye(7)[2]).all()  # a person's label
    with pytest.raises(InputError, match="unsure neutral"):
        TrainConfig(unsure_neutral=-0.1)


def test_teacher_mix_blends_a_human_label_with_the_teachers_view():
    from edge_emo.train.config import TrainConfig

    teacher = np.tile(
        [0.1, 0.6, 0.0, 0.0, 0.0, 0.0, 0.3], (1, 1)
    )  # a still the teacher calls happy
    still = Clip(ClipInfo(FACE_CLIP, 6, "p"), random_face(np.random.default_rng(5), 1), teacher)
    target, weight = window_target(still, 0, 30, TargetOptions(teacher_mix=0.3))
    assert weight == 1.0 and target.sum() == pytest.approx(1.0)
    assert target == pytest.approx(0.7 * np.eye(7)[6] + 0.3 * teacher[0])
    assert target.argmax() == 6  # the person's label still leads
    assert (window_target(still, 0, 30)[0] == np.eye(7)[6]).all()  # no mix: one-hot, as before
    no_teacher = Clip(still.info, still.points, None)
    assert (
        window_target(no_teacher, 0, 30, TargetOptions(teacher_mix=0.3))[0] == np.eye(7)[6]
    ).all()
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
