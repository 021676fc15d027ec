"""`edge-emo extract` on real media and on bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FACE_CLIP, NO_FACE_CLIP, run_cli

from edge_runtime.errors import InputError
from edge_runtime.extract import extract_to_csv
from edge_runtime.features.landmarks import interocular_distance
from edge_runtime.landmark_csv import read_landmark_csv
from edge_runtime.sources.video import read_video


@pytest.fixture(scope="module")
def face_csv(tmp_path_factory):
    out = tmp_path_factory.mktemp("extract") / "face.csv"
    result = extract_to_csv(FACE_CLIP, out)
    return out, result


def test_real_clip_round_trips_through_the_training_loader(face_csv):
    path, result = face_csv
    frames = list(read_video(FACE_CLIP))
    assert result.frames == len(frames) == 472 and result.face_frames >= 460
    track = read_landmark_csv(path)  # the loader training uses for RAVDESS
    assert len(track) == result.frames and track.tracked.sum() == result.face_frames
    np.testing.assert_allclose(track.timestamps, [f.timestamp_s for f in frames], atol=1e-4)
    # A face of plausible size inside the 640x360 frame, eyes above the mouth.
    tracked = track.points[track.tracked]
    assert ((tracked[..., 0] > 0) & (tracked[..., 0] < 640)).mean() > 0.99
    assert 30 < np.median(interocular_distance(tracked)) < 300
    assert (tracked[:, 36, 1] < tracked[:, 57, 1]).all()


def test_no_face_clip_gives_an_explicit_all_failed_result(tmp_path):
    out = tmp_path / "none.csv"
    result = extract_to_csv(NO_FACE_CLIP, out)
    assert result.frames > 0 and result.face_frames == 0
    lines = out.read_text().splitlines()
    assert len(lines) == result.frames + 1
    assert all(line.split(",")[3] == "0" for line in lines[1:])


def bad_videos(tmp_path):
    text = tmp_path / "text.mp4"
    text.write_text("this is not a video\n")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(FACE_CLIP.read_bytes()[:20000])
    return {
        "missing": tmp_path / "missing.mp4",
        "text": text,
        "empty": empty,
        "truncated": truncated,
        "folder": tmp_path,
    }


@pytest.mark.parametrize("case", ["missing", "text", "empty", "truncated", "folder_without_videos"])
def test_bad_input_is_one_line_nonzero_and_leaves_nothing(tmp_path, case):
    videos = bad_videos(tmp_path)
    source = tmp_path / "sub" if case == "folder_without_videos" else videos[case]
    if case == "folder_without_videos":
        source.mkdir()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = run_cli("extract", str(source), "-o", str(out_dir / "x.csv"))
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert (
        len(lines) == 1
        and lines[0].startswith("edge-emo: error:")
        and "Traceback" not in result.stderr
    )
    assert list(out_dir.iterdir()) == []


def test_folder_batch_reports_the_bad_file_and_finishes_the_rest(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "good.mp4").write_bytes(NO_FACE_CLIP.read_bytes())
    (videos / "broken.mp4").write_text("nope")
    out = tmp_path / "out"
    result = run_cli("extract", str(videos), "-o", str(out), "-j", "2")
    assert result.returncode == 1
    assert "broken.mp4" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["good.csv"]


def test_truncated_video_yields_what_it_can_or_fails_cleanly(tmp_path):
    half = tmp_path / "half.mp4"
    half.write_bytes(FACE_CLIP.read_bytes()[: FACE_CLIP.stat().st_size // 2])
    try:
        result = extract_to_csv(half, tmp_path / "half.csv")
    except InputError:
        assert not (tmp_path / "half.csv").exists()
    else:
        assert 0 < result.frames <= 472
