"""The image teacher and `edge-emo label`: face crops, the default teacher on a real face, bad
teacher files, what the label command writes and refuses, and stills bundles."""

from __future__ import annotations

import csv
import json
import shutil

import cv2
import numpy as np
import pytest
from conftest import FACE_CLIP, run_cli

from edge_emo.train.data import load_dataset
from edge_emo.train.teacher import DEFAULT_TEACHER, ImageTeacher, crop_face, face_crop_box
from edge_runtime.errors import InputError
from edge_runtime.features.landmarks import (
    DEFAULT_MAPPING,
    LEGACY_MAPPING,
    MAPPINGS,
)
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


def test_stills_listed_by_a_labels_file_take_its_label_and_person(tmp_path):
    """Layout csv: sets whose labels are not in their paths (raters' votes); what it cannot
    use is counted, a malformed file or a labels file with another layout is one line."""
    from edge_emo.train.stills import list_stills

    root = tmp_path / "faces"
    root.mkdir()
    for name in ("a.jpg", "b.jpg", "c.jpg", "d.jpg"):
        (root / name).write_bytes(b"")  # listing reads names only
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label,subject,share\nb.jpg,sad,tw-02,0.9\na.jpg,Neutral,tw-01,0.7\n"
                      "c.jpg,contempt,tw-01,0.6\nd.jpg,bored,tw-02,0.5\ngone.jpg,happy,tw-03,1\n"
                      "d.jpg,,tw-02\nd.jpg\n")  # fmt: skip
    items, skipped = list_stills(root, "csv", labels)
    assert [(i.path.name, LABELS[i.label], i.subject, i.group) for i in items] == [
        ("a.jpg", "neutral", "tw-01", "csv"), ("b.jpg", "sadness", "tw-02", "csv")]  # fmt: skip
    assert skipped == {"contempt (not one of the 7 labels)": 1, "unknown emotion": 1,
                       "listed file missing": 1, "incomplete row": 2}  # fmt: skip
    with pytest.raises(InputError, match="goes with layout csv"):
        list_stills(root, "folders", labels)
    with pytest.raises(InputError, match="goes with layout csv"):
        list_stills(root, "csv")
    labels.write_text("path,emotion\na.jpg,sad\n")
    with pytest.raises(InputError, match="needs the columns file, label, subject"):
        list_stills(root, "csv", labels)
    labels.write_text("file,label,subject\nc.jpg,contempt,tw-01\n")
    with pytest.raises(InputError, match="no labelled images"):
        list_stills(root, "csv", labels)
