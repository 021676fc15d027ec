"""`edge-emo sheets`: the frames a person labels seconds from, and the seconds.csv they fill in."""

import csv

import cv2
import numpy as np
import pytest
from conftest import FACE_CLIP, run_cli

from edge_runtime.errors import InputError


def _picks(timestamps, every=1, offsets=(0.2, 0.5, 0.8)):
    from edge_emo.train.sheets import FramePicker

    picker = FramePicker(every, offsets)
    out = [picker.push(t, k) for k, t in enumerate(timestamps)] + [picker.flush()]
    return dict(p for p in out if p is not None)


def test_picker_keeps_the_frame_nearest_each_offset_inside_its_second():
    at_25 = [k / 25 for k in range(75)]  # 3 s at 25 fps: frame k at k/25 s
    assert _picks(at_25) == {0: [5, 12, 20], 1: [30, 37, 45], 2: [55, 62, 70]}
    assert _picks(at_25, every=2) == {0: [5, 12, 20], 2: [55, 62, 70]}
    # frames only late in a second (a face that appears mid-video): the nearest inside it
    assert _picks([1.7, 1.9, 2.1]) == {1: [0, 0, 1], 2: [2, 2, 2]}
    # a gap of whole seconds (a variable-frame-rate file) leaves those seconds out
    assert _picks([0.1, 0.6, 3.4]) == {0: [0, 1, 1], 3: [2, 2, 2]}


def test_template_rows_are_added_and_existing_labels_are_never_lost(tmp_path):
    from edge_emo.train.sheets import SheetResult, merge_template

    path = tmp_path / "seconds.csv"
    path.write_text("video,second,label,note\nv,0,happiness,broad smile\n")
    first = SheetResult("v.mp4", "v", [0, 5], 6, ["v-01.png"])
    assert merge_template(path, [first]) == 1
    assert merge_template(path, [first, SheetResult("w.mp4", "w", [0], 3, ["w-01.png"])]) == 1
    with open(path, newline="") as handle:
        rows = [tuple(r.values()) for r in csv.DictReader(handle)]
    assert rows == [("v", "0", "happiness", "broad smile"), ("v", "5", "", ""), ("w", "0", "", "")]
    # a column the person added, and a file without the note column, are kept as they are
    path.write_text("video,second,label,who\nv,0,happiness,ann\n")
    assert merge_template(path, [first]) == 1
    assert path.read_text().splitlines() == [
        "video,second,label,who,note",
        "v,0,happiness,ann,",
        "v,5,,,",
    ]


def test_heldout_scorer_skips_seconds_left_unlabelled_and_refuses_unknown_labels(tmp_path):
    from edge_emo.train.heldout import read_seconds

    path = tmp_path / "seconds.csv"
    path.write_text("video,second,label,note\nv,0, neutral ,\nv,1,,half smile\nv,2,,\n")
    assert [(r["second"], r["label"]) for r in read_seconds(path)] == [("0", "neutral")]
    path.write_text("video,second,label\nv,0,smile\n")
    with pytest.raises(InputError, match="line 2: needs video,second,label with a known label"):
        read_seconds(path)
    with pytest.raises(InputError, match="no such file"):
        read_seconds(tmp_path / "missing.csv")


def test_sheets_command_on_real_video_crops_faces_and_keeps_labels_when_run_again(tmp_path):
    out = tmp_path / "sheets"
    no_face = FACE_CLIP.with_name("no_face.mp4")
    result = run_cli("sheets", str(FACE_CLIP), str(no_face), "-o", str(out), "--every", "5")
    assert result.returncode == 0, result.stderr
    assert "face_clip.mp4: 4 seconds on 1 sheet " in result.stdout
    assert "a face in 12 of 12 frames" in result.stdout  # the woman is found in every frame
    assert (
        "no_face.mp4: 1 second on 1 sheet " in result.stdout and "a face in 0 of 3" in result.stdout
    )
    page = cv2.imread(str(out / "face_clip-01.png"))
    # 4 rows (seconds 0, 5, 10, 15) of three 240 px face squares, 6 px between rows
    assert page.shape == (4 * 240 + 3 * 6, 3 * 240 + 2 * 4, 3)
    assert page.std() > 20  # pictures, not blank tiles
    # the frame without a face is shown whole (16:9 at 240 px high), not cropped
    assert cv2.imread(str(out / "no_face-01.png")).shape[1] == 3 * 427 + 2 * 4
    text = (out / "seconds.csv").read_text()
    assert text.splitlines() == ["video,second,label,note", "face_clip,0,,", "face_clip,5,,",
                                 "face_clip,10,,", "face_clip,15,,", "no_face,0,,"]  # fmt: skip
    # A person labels one second; sheets made again (with more seconds) keep that label.
    (out / "seconds.csv").write_text(text.replace("face_clip,10,,", "face_clip,10,happiness,laugh"))
    again = run_cli("sheets", str(FACE_CLIP), "-o", str(out), "--every", "10")
    assert again.returncode == 0, again.stderr
    assert "0 rows added" in again.stdout
    assert "face_clip,10,happiness,laugh" in (out / "seconds.csv").read_text().splitlines()


def test_sheets_find_a_face_too_small_for_the_whole_frame(tmp_path):
    """The bundled clip shrunk into a corner of a 1280x720 frame: found as `run` finds it."""
    from edge_emo.benchmarks.zoom_cost import write

    video = tmp_path / "far.mp4"
    write(FACE_CLIP, 0.3, video, 24)
    result = run_cli("sheets", str(video), "-o", str(tmp_path / "sheets"))
    assert result.returncode == 0, result.stderr
    assert "far.mp4: 1 second on 1 sheet (far-NN.png), a face in 3 of 3 frames" in result.stdout
    assert cv2.imread(str(tmp_path / "sheets" / "far-01.png")).shape == (240, 3 * 240 + 8, 3)


def test_sheets_bad_input_is_one_line_and_exit_2(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    for path in (tmp_path / "missing.mp4", empty):
        result = run_cli("sheets", str(path), "-o", str(tmp_path / "out"))
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1 and "edge-emo: error:" in result.stderr
    assert not list((tmp_path / "out").glob("*.png"))


def test_sheet_rows_are_padded_to_the_widest():
    from edge_emo.train.sheets import sheet_row, stack_rows

    wide = sheet_row(0, [np.full((240, 427, 3), 200, np.uint8)] * 3)
    square = sheet_row(1, [np.full((240, 240, 3), 200, np.uint8)] * 3)
    page = stack_rows([square, wide])
    assert page.shape == (2 * 240 + 6, 3 * 427 + 2 * 4, 3)
    assert (page[:240, 3 * 240 + 8 :] == 0).all()  # the narrower row is padded with black
