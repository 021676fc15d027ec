"""Several faces (`--max-faces`): per-person timelines with stable ids.

Small scripted faces check the bookkeeping (state freed, brief detections dropped, the
video's clock, windows never mixing people); real scenes composed from the test clip
(benchmarks/scenes.py) check identities and outputs end to end through the CLI.
"""

from __future__ import annotations

import csv
import json
from collections import Counter

import numpy as np
import pytest
from conftest import FACE_CLIP, run_cli

from edge_emo.benchmarks.scenes import SCENES, compose, identity_report, run_scene
from edge_runtime.face_landmarks import FaceLandmarkerOptions, FaceObservation
from edge_runtime.model.classifier import ClassifierOptions, EmotionClassifier
from edge_runtime.pipeline import EmotionPipeline, PipelineOptions
from edge_runtime.sources.video import VideoFrame

FPS = 30


# --------------------------------------------------------------------------- scripted faces


def scripted_face(cx: float, cy: float) -> FaceObservation:
    """A face of 68 points around (cx, cy); its mesh is those points (enough for a box)."""
    from edge_emo.train.synth import NEUTRAL

    points = (NEUTRAL * 80 + np.array([cx, cy])).astype(np.float32)
    mesh = np.zeros((478, 3), np.float32)
    mesh[:, :2] = points[np.arange(478) % 68]
    return FaceObservation(mesh, points, 1)


class ScriptedLandmarker:
    """Stands in for FaceLandmarker: `where(t)` says which face centres are in view at t."""

    def __init__(self, where) -> None:
        self.where = where

    def detect_all(self, frame: VideoFrame) -> list[FaceObservation]:
        return [scripted_face(cx, cy) for cx, cy in self.where(frame.timestamp_s)]

    def close(self) -> None:
        pass


def scripted_pipeline(where, mode: str = "centred", max_faces: int = 4) -> EmotionPipeline:
    """The real pipeline and classifier, with scripted faces instead of MediaPipe."""
    options = PipelineOptions(face=FaceLandmarkerOptions(max_faces=max_faces), mode=mode)
    classifier = EmotionClassifier.create(ClassifierOptions())
    return EmotionPipeline(classifier, ScriptedLandmarker(where), options)


def frames(seconds: float):
    image = np.zeros((4, 4, 3), np.uint8)
    return (VideoFrame(k, k / FPS, image) for k in range(round(seconds * FPS)))


def scripted_run(where, seconds: float):
    """Run the multi-face pipeline over `seconds` of 30 fps scripted frames."""
    pipeline = scripted_pipeline(where)
    return pipeline, list(pipeline.run(frames(seconds)))


def by_track(entries) -> dict[int, list]:
    tracks: dict[int, list] = {}
    for entry in entries:
        tracks.setdefault(entry.track, []).append(entry)
    return tracks


def test_windows_never_mix_two_people():
    windows = []
    pipeline = scripted_pipeline(lambda t: [(200, 240), (600, 240)], max_faces=2)
    classify = pipeline.classify

    def spy(window, baseline=None):  # the accepted windows, the ones the model sees
        if window.accepted:
            windows.append(window.points)
        return classify(window, baseline)

    pipeline.classify = spy
    entries = list(pipeline.run(frames(6.0)))
    assert len(windows) >= 10
    for points in windows:  # every frame of a window is the same person
        centres = points.mean(axis=1)[:, 0]
        assert np.ptp(centres) < 5, centres
    assert {e.track for e in entries} == {1, 2}
    assert all(len(v) == 6 for v in by_track(entries).values())


def test_a_person_who_leaves_is_freed_and_a_newcomer_gets_the_next_id():
    def where(t):
        faces = [(200, 240)]
        if t < 3.0 or t >= 8.0:  # B leaves at 3 s for 5 s (past the 2 s memory), then returns
            faces.append((600, 240))
        return faces

    pipeline, entries = scripted_run(where, 11.0)
    tracks = by_track(entries)
    assert sorted(tracks) == [1, 2, 3]
    assert [e.t for e in tracks[2]][-1] == 2  # B's first timeline ends at their last sighting
    assert tracks[3][0].t == 8  # and they come back as a new person, on the video's clock
    summaries = {s["track"]: s for s in pipeline.faces.footer()["tracks"]}
    assert summaries[2]["first_t"] == 0 and summaries[2]["last_t"] == 2
    assert not pipeline.faces.tracks  # every track's state is freed at the end
    assert pipeline.faces.discarded == 0


def test_state_is_freed_while_the_run_goes_on():
    live_counts = []

    def where(t):
        # person k comes at 1.5 k s and stays 2 s, at one of three places far apart
        return [(150 + 300 * (k % 3), 240) for k in range(20) if 0 <= t - 1.5 * k < 2.0]

    pipeline = scripted_pipeline(where, mode="causal", max_faces=2)
    for _ in pipeline.run(frames(30.0)):
        live_counts.append(len(pipeline.faces.tracks))
    assert max(live_counts) <= 4  # two in view, at most two more within their 2 s memory
    assert sorted(pipeline.faces.summaries) == list(range(1, 21))  # twenty people


def test_a_brief_false_detection_is_not_reported_and_leaves_no_gap_in_ids():
    def where(t):
        faces = [(200, 240)]
        if 1.0 <= t < 1.2:  # 6 frames: too short for any window
            faces.append((600, 100))
        if t >= 4.0:
            faces.append((600, 240))
        return faces

    pipeline, entries = scripted_run(where, 8.0)
    assert sorted(by_track(entries)) == [1, 2]
    assert pipeline.faces.discarded == 1
    assert by_track(entries)[2][0].t == 4


# --------------------------------------------------------------------------- real scenes


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    """Every scene composed and run once through `edge-emo run --max-faces 4`."""
    folder = tmp_path_factory.mktemp("scenes")
    return {name: run_scene(scene, FACE_CLIP, folder) for name, scene in SCENES.items()} | {
        "_folder": folder
    }


@pytest.mark.parametrize("name", list(SCENES))
def test_identities_hold_on_real_scenes(scenes, name):
    result = scenes[name]
    report, timeline = result["report"], result["timeline"]
    assert report["tracks"] == 2, report
    assert report["switches"] == 0, report
    assert set(report["people"]) == {"A", "B"}
    assert timeline["schema_version"] == 2 and timeline["faces"]["max"] == 4
    for track in timeline["tracks"]:
        assert track["seconds_total"] == len(track["seconds"])
        assert track["last_t"] - track["first_t"] + 1 == len(track["seconds"])
        assert {s["track"] for s in track["seconds"]} == {track["track"]}
    tracks = {t["track"]: t for t in timeline["tracks"]}
    b = next(t for t in tracks.values() if report["people"]["B"]["tracks"] == [t["track"]])
    if name == "leave_return":  # B away 3-4 s, within the memory: same id, a gap in between
        gap = [s for s in b["seconds"] if s["t"] == 3]
        assert gap and not gap[0]["face"] and b["last_t"] == 7
    if name == "enter":  # B walks in at 3 s
        assert b["first_t"] == 3 and b["seconds"][0]["t"] == 3
    if name == "swap":  # B really crossed: from the right half to the left
        xs = [(s["box"][0] + s["box"][2]) / 2 for s in b["seconds"] if s["face"]]
        assert xs[0] > 600 and xs[-1] < 350


def test_each_person_gets_their_own_expression(scenes):
    """A (crying) and B (laughing) side by side: B's timeline reads happiness, and A's is not
    B's (a window that mixed the two would pull them together)."""
    result = scenes["together"]
    people = result["report"]["people"]
    tracks = {t["track"]: t for t in result["timeline"]["tracks"]}
    seconds = {p: tracks[people[p]["tracks"][0]]["seconds"] for p in "AB"}
    tops = {p: Counter(s["top"] for s in seconds[p]) for p in "AB"}
    assert tops["B"].most_common(1)[0][0] == "happiness", tops
    happiness = {p: [s["probs"]["happiness"] for s in seconds[p]] for p in "AB"}
    assert sum(happiness["A"]) < 0.8 * sum(happiness["B"]), happiness  # A is less happy
    assert any(a["top"] != b["top"] for a, b in zip(seconds["A"], seconds["B"], strict=True))


def test_jsonl_csv_and_plot_carry_the_track(scenes, tmp_path):
    video = scenes["_folder"] / "together.mp4"
    jsonl, table = tmp_path / "t.jsonl", tmp_path / "t.csv"
    for out, fmt, extra in ((jsonl, "jsonl", []), (table, "csv", ["--plot"])):
        result = run_cli("run", str(video), "-o", str(out), "-f", fmt, "--max-faces", "2", *extra)
        assert result.returncode == 0, result.stderr
        assert "people" in result.stderr  # the summary table counts people
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert lines[0]["type"] == "header" and lines[0]["schema_version"] == 2
    seconds = [line for line in lines if line["type"] == "second"]
    assert {s["track"] for s in seconds} == {1, 2}
    assert len({(s["track"], s["t"]) for s in seconds}) == len(seconds) == 14
    end = lines[-1]
    assert end["type"] == "end" and [t["track"] for t in end["tracks"]] == [1, 2]
    assert end["seconds_total"] == 7 and end["track_seconds"] == 14
    rows = list(csv.DictReader(table.open()))
    assert list(rows[0])[:2] == ["track", "t"] and "box_x0" in rows[0]
    assert Counter(r["track"] for r in rows) == {"1": 7, "2": 7}
    png = table.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_identity_report_counts_a_switch():
    truth = [{"A": (190, 60), "B": (190, 640)}] * 72  # 3 s at 24 fps
    left, right = [96, 186, 309, 436], [645, 163, 859, 409]
    tracks = [
        {"track": 1, "seconds": [{"t": 0, "face": True, "box": left},
                                 {"t": 1, "face": True, "box": left}]},
        {"track": 2, "seconds": [{"t": 0, "face": True, "box": right},
                                 {"t": 2, "face": True, "box": left}]},  # took A over
    ]  # fmt: skip
    report = identity_report(tracks, truth)
    assert report["people"]["A"] == {"tracks": [1, 2], "seconds": 3, "switches": 1}
    assert report["switches"] == 1


# --------------------------------------------------------------------------- one face


def test_one_face_is_schema_1_exactly_as_before(tmp_path):
    """--max-faces 1 (the default) keeps the one-face output: no track fields, version 1."""
    clip = FACE_CLIP.with_name("vfr_24_12fps.mp4")
    plain, one = tmp_path / "plain.json", tmp_path / "one.json"
    assert run_cli("run", str(clip), "-o", str(plain)).returncode == 0
    assert run_cli("run", str(clip), "-o", str(one), "--max-faces", "1").returncode == 0
    a, b = json.loads(plain.read_text()), json.loads(one.read_text())
    a.pop("created"), b.pop("created")
    assert a == b
    assert a["schema_version"] == 1 and "faces" not in a and "tracks" not in a
    assert set(a["seconds"][0]) == {"t", "face", "probs", "top", "confidence", "face_frames",
                                    "frames", "windows"}  # fmt: skip


def test_compose_writes_the_scene_it_describes(tmp_path):
    truth = compose(SCENES["enter"], FACE_CLIP, tmp_path / "enter.mp4")
    assert len(truth) == 192 and truth[0]["B"] is None and truth[-1]["B"] == (190, 640)
    assert (tmp_path / "enter.mp4").stat().st_size > 50_000
