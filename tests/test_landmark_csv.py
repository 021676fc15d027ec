"""Landmark CSVs: the RAVDESS/OpenFace layout, OpenFace's spaced headers, and bad files."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATA

from edge_runtime.errors import InputError
from edge_runtime.landmark_csv import (
    EXTRACT_HEADER,
    parse_landmark_csv,
    read_landmark_csv,
    write_landmark_csv,
)


def ravdess_text(frames: int = 5, confidence: float = 0.98) -> str:
    from edge_emo.train.synth import HEADER, clip_csv

    assert len(HEADER) == 712 and HEADER.index("x_0") == 297  # ../shared/ravdess-format.md
    rng = np.random.default_rng(0)
    text = clip_csv(rng.uniform(100, 600, (frames, 68, 2)))
    return text.replace(",0.98,", f",{confidence},")


def test_reads_the_712_column_ravdess_layout():
    track = parse_landmark_csv(ravdess_text(7))
    assert track.points.shape == (7, 68, 2) and track.tracked.all()
    np.testing.assert_allclose(track.timestamps, np.arange(7) / 30, atol=1e-3)


def test_reads_openface_headers_with_spaces():
    track = read_landmark_csv(DATA / "openface_spaced_header.csv")
    assert len(track) == 10 and track.tracked.all()
    assert track.points[0, 0, 0] == pytest.approx(277.276)


def test_low_confidence_frames_count_as_untracked():
    track = parse_landmark_csv(ravdess_text(3, confidence=0.1))
    assert not track.tracked.any() and np.isnan(track.points).all()


def test_extract_format_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    points = rng.uniform(0, 500, (4, 68, 2))
    rows = [(1, 0.0, points[0], 1.0), (2, 0.04, None, 0.0), (3, 0.08, points[2], 1.0)]
    path = tmp_path / "x.csv"
    write_landmark_csv(path, rows)
    assert path.read_text().splitlines()[0].split(",") == list(EXTRACT_HEADER)
    track = read_landmark_csv(path)
    assert track.tracked.tolist() == [True, False, True]
    np.testing.assert_allclose(track.points[2], points[2], atol=0.006)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty CSV"),
        ("frame,timestamp,confidence\n1,0,1\n", "missing columns"),
        (",".join(EXTRACT_HEADER) + "\n", "header only"),
        (",".join(EXTRACT_HEADER) + "\n1,0,1,1,2\n", "line 2 has 5 columns"),
        (",".join(EXTRACT_HEADER) + "\n1,abc,1,1" + ",5" * 136 + "\n", "non-numeric"),
        (
            ",".join(EXTRACT_HEADER)
            + "\n1,0.1,1,1"
            + ",5" * 136
            + "\n2,0.0,1,1"
            + ",5" * 136
            + "\n",
            "not strictly increasing",
        ),
    ],
)
def test_bad_csvs_raise_one_clear_error(text, message):
    with pytest.raises(InputError, match=message):
        parse_landmark_csv(text, "bad.csv")


def test_non_finite_coordinates_mark_the_frame_untracked():
    body = "\n".join(
        [
            ",".join(EXTRACT_HEADER),
            "1,0,1,1" + ",5" * 136,
            "2,0.04,1,1" + ",inf" + ",5" * 135,
            "3,0.08,1,1" + ",nan" * 136,
        ]
    )
    track = parse_landmark_csv(body)
    assert track.tracked.tolist() == [True, False, False]


def test_unreadable_paths(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_landmark_csv(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="is a folder"):
        read_landmark_csv(tmp_path)
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="not a text CSV"):
        read_landmark_csv(tmp_path / "bin.csv")
