"""Repository invariants: the README's commands, CI, lint, packaging and the CLI surface."""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
from conftest import FACE_CLIP, REPO, run_cli, run_without_tensorflow

from edge_runtime.labels import LABELS

README = (REPO / "README.md").read_text()


def readme_commands() -> list[str]:
    """The set-up commands: the lines of the README's 'Quick start' code blocks."""
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [
        line.strip()
        for block in re.findall(r"```(?:bash|sh)?\n(.*?)```", section, re.S)
        for line in block.splitlines()
        if line.strip() and not line.startswith("#")
    ]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_second():
    commands = readme_commands()
    assert len(commands) == 2, commands
    run_job, run_tests = commands
    assert "edge-emo run" in run_job and "pytest" in run_tests
    ci = (REPO / ".ci" / "run").read_text()
    assert run_tests in ci.splitlines()


def test_readme_python_api_example_runs_without_tensorflow():
    """The README's first Python API example, on the bundled clip, in a process that cannot
    import TensorFlow: one printed line per second of the 19.7 s clip."""
    section = README.split("## Python API", 1)[1].split("\n## ", 1)[0]
    example = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    assert '"clip.mp4"' in example
    done = run_without_tensorflow(example.replace('"clip.mp4"', repr(str(FACE_CLIP))))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [int(line.split()[0]) for line in lines] == list(range(20))
    assert all(line.split()[1] in LABELS for line in lines)  # the clip has a face throughout


def test_cli_lists_every_command():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in (
        "extract",
        "label",
        "train",
        "evaluate",
        "convert",
        "run",
        "listen",
        "serve",
        "service",
        "benchmark",
        "info",
        "synth",
    ):
        assert re.search(rf"\b{command}\b", result.stdout), command


def test_info_reports_backend_and_models():
    result = run_cli("info")
    assert result.returncode == 0, result.stderr
    assert "interpreter backend: ai-edge-litert" in result.stdout
    assert (
        "face_landmarker.task: ok" in result.stdout
        and "emotion-realfaces-video-int8.tflite" in result.stdout
    )
    # An ensemble says so (the bundled default is one: three seeds averaged).
    from edge_runtime.assets import default_model_path
    from edge_runtime.model.metadata import load_metadata

    meta = load_metadata(default_model_path())
    members = meta.extra["train_config"].get("ensemble", 1)
    shown = " ".join(result.stdout.split())  # Rich wraps long lines
    assert (f"int8, {members} networks averaged," in shown) == (members > 1), shown
    for label, weight in meta.class_prior.items():  # and a class prior, if it has one
        assert f", {label} x{weight:g}," in shown, shown
    if meta.reject:  # and its reject option
        assert f", {meta.reject['to']} when top < {meta.reject['below']:g}," in shown, shown
    assert f", landmarks {meta.normalisation.landmarks}," in shown, shown  # its 478->68 table


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(REPO / ".venv" / "bin" / "ruff")
    if not shutil.os.path.exists(ruff):
        pytest.skip("ruff not installed")
    result = subprocess.run([ruff, "check", str(REPO)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout


def test_wheel_has_no_generic_top_level_names_and_ships_the_models(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {result.stderr[-300:]}")
    wheel = next(tmp_path.glob("edge_emo-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"edge_runtime", "edge_emo"}, top
    for required in ("edge_emo/models/face_landmarker.task", "edge_emo/models/emotion-realfaces-video-int8.tflite",
                     "edge_emo/models/emotion-realfaces-video-int8.json", "edge_emo/train/trainer.py",
                     "edge_emo/train/teachers/fer2013-mini-xception.tflite",
                     "edge_emo/train/labels/heldout-seconds.csv",
                     "edge_emo/convert/converter.py"):  # fmt: skip
        assert required in names, required
    metadata = (
        zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    )
    base = [
        line
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist") and "extra ==" not in line
    ]
    assert not any("tensorflow" in line or "keras" in line for line in base), base
    assert any("ai-edge-litert" in line for line in base) and any(
        "mediapipe" in line for line in base
    )


def test_every_recorded_training_video_source_is_labelled_and_people_stay_apart():
    """train/sources.tsv, the people lists and the rebuild script agree: each training video
    folder is labelled by the rebuild and each still-image source landmarked by it, each
    listed video lies in a recorded folder, and no person is both a training and a
    validation person (but the five that recipe choice leaves out of training)."""
    rows = [
        line.split("\t")
        for line in (REPO / "train" / "sources.tsv").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    folders = {role: {row[4] for row in rows if row[0] == role} for role in ("train", "validation")}
    rebuild = (REPO / "train" / "rebuild_default_model.sh").read_text()
    labelled = re.findall(r'edge-emo label "\$sources"/(\S+)', rebuild)  # globs, {a,b} lists
    video_folders = {f for f in folders["train"] if f.startswith("videos-train/")}
    for folder in video_folders:
        assert any(
            fnmatch.fnmatch(folder, glob) or glob.startswith(folder + "/") for glob in labelled
        ), f"{folder} is never labelled"
    # Each still-image source is landmarked by the rebuild, and a labels file it names exists.
    stills = set(re.findall(r'edge_emo\.train\.stills "\$sources/([^"]+)"', rebuild))
    assert {f.split("/")[0] for f in folders["train"] - video_folders} == stills
    for labels in re.findall(r"--labels (\S+)", rebuild):
        assert (REPO / labels).is_file(), labels

    def people(name: str, prefix: str, recorded: set[str]) -> set[str]:
        lines = (REPO / "train" / "labels" / name).read_text().splitlines()[1:]
        for line in lines:
            video = line.split(",")[0]
            assert any(f"{prefix}{video}".startswith(f + "/") for f in recorded), video
        return {line.split(",")[1] for line in lines}

    training = people("video-people.csv", "videos-train/", video_folders)
    validation = people("validation-people.csv", "videos-val/", folders["validation"])
    # Only the five training people that choose_recipe.sh leaves out while choosing may have
    # validation clips too; everyone else is on one side.
    choose_time = re.search(
        r"VAL_PEOPLE:-([\w,-]+)", (REPO / "train" / "choose_recipe.sh").read_text()
    )
    assert training and validation
    assert training & validation <= set(choose_time.group(1).split(",")), training & validation
    # The seconds a person labelled on validation clips belong to listed validation clips.
    listed = {
        line.split(",")[0]
        for line in (REPO / "train/labels/validation-people.csv").read_text().splitlines()[1:]
    }
    viewed = (REPO / "train/labels/validation-seconds.csv").read_text().splitlines()[1:]
    assert viewed and {line.split(",")[0] for line in viewed} <= listed
    # Held-out seconds name a video of a recorded held-out folder (the rebuild calls the
    # file <folder>-<file>, e.g. eamm-happy for videos/eamm/happy.mp4).
    heldout = {row[4].split("/")[-1] for row in rows if row[0] == "heldout"}
    seconds = (REPO / "train/labels/heldout-seconds.csv").read_text().splitlines()[1:]
    assert seconds
    for line in seconds:
        video = line.split(",")[0]
        assert any(video.startswith(folder + "-") for folder in heldout), video


def test_get_sources_copies_folders_and_files_and_unpacks_zips_from_a_local_mirror(tmp_path):
    """train/get_sources.sh with MIRRORS: a folder, a single file and a zipped folder of clips,
    each at its recorded commit, nothing downloaded."""
    repo = tmp_path / "mirrors" / "someone+clips" / "repo"
    (repo / "samples" / "tree").mkdir(parents=True)
    (repo / "samples" / "tree" / "a.mp4").write_bytes(b"clip a")
    (repo / "samples" / "b.mp4").write_bytes(b"clip b")
    with zipfile.ZipFile(repo / "samples" / "more.zip", "w") as z:
        z.writestr("Input/c.mp4", b"clip c")
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
    }
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "clips"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    (repo / "samples" / "b.mp4").write_bytes(b"changed after the commit")
    tsv = tmp_path / "sources.tsv"
    tsv.write_text(
        "# role\trepository\tcommit\tpath\tfolder\n"
        + "".join(
            f"train\tsomeone/clips\t{commit}\t{path}\t{folder}\n"
            for path, folder in (
                ("samples/tree", "v/tree"),
                ("samples/b.mp4", "v/one"),
                ("samples/more.zip", "v/zipped"),
            )
        )
    )
    dest = tmp_path / "sources"
    subprocess.run(
        ["bash", str(REPO / "train" / "get_sources.sh"), str(dest)],
        check=True,
        env={**env, "MIRRORS": str(tmp_path / "mirrors"), "SOURCES_TSV": str(tsv)},
        capture_output=True,
    )
    assert (dest / "v/tree/a.mp4").read_bytes() == b"clip a"
    assert (dest / "v/one/b.mp4").read_bytes() == b"clip b"  # the commit's, not the work tree's
    assert (dest / "v/zipped/Input/c.mp4").read_bytes() == b"clip c"
    assert sorted(p.name for p in (dest / "v/zipped").iterdir()) == ["Input"]  # zip removed
