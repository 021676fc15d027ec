"""`edge-emo serve`: the live page, its token, its files, TLS and a real browser (headless Chromium)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import EDGE_EMO, FACE_CLIP, REPO, run_cli, run_without_tensorflow

from edge_emo.benchmarks.local_broker import make_tls

pytest.importorskip("aiohttp", reason="needs the [serve] extra")

TOKEN = "test-token-0123456789"


def wait_for_line(process: subprocess.Popen, text: str) -> str:
    """The first stderr line containing `text` (the process keeps running)."""
    seen = []
    for line in process.stderr:
        if text in line:
            return line
        seen.append(line)
    raise AssertionError(f"{text!r} never came; stderr: {''.join(seen)}")


class Server:
    """`edge-emo serve` in a subprocess on a free port; `url(path)` addresses it."""

    def __init__(
        self, *args: str, host: str = "127.0.0.1", scheme: str = "http", clip: Path = FACE_CLIP
    ) -> None:
        command = [str(EDGE_EMO), "serve", "--camera-file", str(clip), "--host", host,
                   "--port", "0", *args]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.banner = wait_for_line(self.process, "serving")  # "edge-emo: serving URL"
        port = int(self.banner.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        self.base = f"{scheme}://127.0.0.1:{port}"  # --port 0: the port it chose

    def url(self, path: str) -> str:
        return self.base + path

    def stop(self, signum=signal.SIGTERM) -> tuple[int, str, str]:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        out, err = self.process.communicate(timeout=60)
        return self.process.returncode, out, err


def get(url: str, token: str | None = None, context=None) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30, context=context) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


@pytest.fixture
def timelines(tmp_path) -> Path:
    folder = tmp_path / "timelines"
    folder.mkdir()
    result = run_cli("run", str(FACE_CLIP), "-o", str(folder / "clip.emotions.json"), "-q")
    assert result.returncode == 0, result.stderr
    (folder / "notes.txt").write_text("not a timeline")
    (folder / "broken.emotions.jsonl").write_text('{"type": "second"}\n')  # no header line
    (tmp_path / "secret.emotions.json").write_text("{}")  # outside the folder
    return folder


def test_token_guards_every_request_and_files_stay_in_their_folder(tmp_path, timelines):
    out = tmp_path / "live.jsonl"
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    server = Server(
        "--loop",
        "--token-file",
        str(token_file),
        "--timelines",
        str(timelines),
        "-o",
        str(out),
        "-q",
    )
    try:
        for path in (
            "/",
            "/events",
            "/frame.jpg",
            "/api/state",
            "/api/timelines",
            "/static/app.js",
        ):
            status, body, _ = get(server.url(path))
            assert status == 401 and b"access token" in body, path
            assert get(server.url(path), token="wrong-token-0123456")[0] == 401, path
        status, body, headers = get(server.url("/api/state"), token=TOKEN)
        state = json.loads(body)
        assert status == 200 and state["labels"][0] == "neutral" and "licence" in state["model"]
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        status, _, headers = get(server.url(f"/?token={TOKEN}"))
        assert status == 200 and "HttpOnly" in headers["Set-Cookie"]
        listing = json.loads(get(server.url("/api/timelines"), token=TOKEN)[1])
        assert [f["name"] for f in listing["files"]] == [
            "broken.emotions.jsonl",
            "clip.emotions.json",
        ]
        assert get(server.url("/api/timelines/broken.emotions.jsonl"), token=TOKEN)[0] == 422
        drawn = json.loads(get(server.url("/api/timelines/clip.emotions.json"), token=TOKEN)[1])
        assert [s["t"] for s in drawn["seconds"]] == list(range(20))
        for path in ("/api/timelines/notes.txt", "/api/timelines/..%2Fsecret.emotions.json",
                     "/api/timelines/%2e%2e%2fsecret.emotions.json", "/static/..%2F..%2Fpyproject.toml",
                     "/static/view.py", "/../pyproject.toml"):  # fmt: skip
            assert get(server.url(path), token=TOKEN)[0] == 404, path
        deadline = time.monotonic() + 60
        while get(server.url("/frame.jpg"), token=TOKEN)[0] != 200:
            assert time.monotonic() < deadline, "no frame within 60 s"
            time.sleep(0.2)
        status, jpeg, headers = get(server.url("/frame.jpg"), token=TOKEN)
        assert headers["Content-Type"] == "image/jpeg" and jpeg[:2] == b"\xff\xd8"
    finally:
        code, _, err = server.stop()
    assert code == 0 and "Traceback" not in err, err
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["type"] == "header" and lines[-1]["type"] == "end"  # nothing lost at the stop


def test_a_public_address_gets_a_generated_token_printed_once():
    server = Server("-q", "--seconds", "60", host="0.0.0.0")
    try:
        assert "?token=" in server.banner and "generated" in server.banner
        token = server.banner.split("?token=")[1].split()[0]
        assert get(server.url("/api/state"))[0] == 401
        assert get(server.url("/api/state"), token=token)[0] == 200
    finally:
        code, _, err = server.stop(signal.SIGINT)
    assert code == 0, err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("moment", ["loading", "listening"])
def test_a_stop_at_any_moment_is_clean(tmp_path, signum, moment):
    """Ctrl-C/SIGTERM while the models load or once the page is up: exit 0, no traceback."""
    command = [str(EDGE_EMO), "serve", "--camera-file", str(FACE_CLIP), "--loop", "--port", "0",
               "-f", "jsonl", "-o", str(tmp_path / "live.jsonl")]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_line(process, "starting")  # the command runs; the models are loading
    if moment == "listening":
        wait_for_line(process, "serving")
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0 and "Traceback" not in err, err


def test_short_tokens_and_bad_sources_are_one_line_errors(tmp_path):
    empty = tmp_path / "token"
    empty.write_text("\n")
    for args, message in (
        (["--camera-file", str(FACE_CLIP), "--token-file", str(empty)], "is empty"),
        (["--camera-file", str(FACE_CLIP), "--token-file", str(tmp_path / "no")], "cannot read"),
        (["--camera-file", str(FACE_CLIP), "--token", "short"], "at least 12 characters"),
        (["--loop"], "give --camera N or --camera-file FILE"),
        (["--camera-file", str(FACE_CLIP), "--timelines", "/nonexistent"], "no such folder"),
    ):
        result = run_cli("serve", *args)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_tls_with_a_given_certificate(tmp_path):
    tls = make_tls(tmp_path / "tls")
    server = Server("--loop", "-q", "--tls-cert", str(tls.server_cert), "--tls-key", str(tls.server_key),
                    scheme="https")  # fmt: skip
    try:
        context = ssl.create_default_context(cafile=str(tls.ca))
        assert get(server.url("/api/state"), context=context)[0] == 200
        with pytest.raises(urllib.error.URLError):  # not trusted without the CA
            get(server.url("/api/state"), context=ssl.create_default_context())
    finally:
        code, _, err = server.stop()
    assert code == 0, err


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


needs_browser = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver"
)


@contextlib.contextmanager
def chromium():
    """A headless Chromium driven by selenium."""
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def bar_values(driver, selector: str = "#bars .row") -> list[str]:
    from selenium.webdriver.common.by import By

    return [e.get_attribute("data-value") for e in driver.find_elements(By.CSS_SELECTOR, selector)]


def keep_screenshot(driver, path: Path) -> None:
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 20_000
    keep = os.environ.get("EDGE_EMO_SCREENSHOT_DIR")
    if keep:
        shutil.copy(path, Path(keep) / path.name)


@needs_browser
def test_the_page_in_a_real_browser(tmp_path):
    """Headless Chromium opens the page: without the token it gets the 401, with it the page
    fills in from the event stream; the bars, the face state and the frame change."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    server = Server("--loop", "--token", TOKEN, "-q")
    try:
        with chromium() as driver:
            driver.get(server.url("/"))
            assert "access token" in driver.find_element(By.TAG_NAME, "body").text
            driver.get(server.url(f"/?token={TOKEN}"))
            wait = WebDriverWait(driver, 90, poll_frequency=0.2)
            face = driver.find_element(By.ID, "face-state")
            wait.until(lambda d: face.get_attribute("data-face") == "face")
            wait.until(lambda d: all(bar_values(d)))
            first = bar_values(driver)
            wait.until(lambda d: bar_values(d) != first)  # a later second changed the bars
            wait.until(
                lambda d: (
                    d.execute_script("return document.getElementById('frame').naturalWidth") > 0
                )
            )
            assert driver.current_url.endswith("/")  # the token left the address bar
            assert driver.find_element(By.ID, "model-name").text == "emotion-realfaces-video-int8"
            time.sleep(3)  # a few more seconds on the chart for the screenshot
            keep_screenshot(driver, tmp_path / "serve.png")
    finally:
        code, _, err = server.stop()
    assert code == 0, err


@needs_browser
def test_the_page_shows_every_face_with_its_id_and_bars(tmp_path):
    """--max-faces 2 on two real people: a box per face in the frame, bars per person."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from edge_emo.benchmarks.scenes import SCENES, compose

    scene = tmp_path / "together.mp4"
    compose(SCENES["together"], FACE_CLIP, scene)
    server = Server("--loop", "--max-faces", "2", "-q", clip=scene)
    try:
        with chromium() as driver:
            driver.get(server.url("/"))
            wait = WebDriverWait(driver, 90, poll_frequency=0.2)
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#bars .person")) == 2)
            wait.until(lambda d: all(bar_values(d, "#bars .person .row")))
            titles = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#bars .person h3")]
            assert [t.split()[:2] for t in titles] == [["face", "1"], ["face", "2"]]
            assert len(bar_values(driver, "#bars .person .row")) == 14
            wait.until(lambda d: d.find_element(By.ID, "face-state").text == "2 faces")
            assert chart_choices(driver) == ["face 1", "face 2"]
            keep_screenshot(driver, tmp_path / "serve-faces.png")
        status, jpeg, _ = get(server.url("/frame.jpg"))
        assert status == 200
        import cv2
        import numpy as np

        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        box = np.abs(image.astype(int) - (80, 200, 255)).sum(axis=2) < 60  # the box colour
        half = image.shape[1] // 2
        assert box[:, :half].sum() > 200 and box[:, half:].sum() > 200  # a box on each person
    finally:
        code, _, err = server.stop()
    assert code == 0, err


def chart_choices(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [o.text for o in driver.find_elements(By.CSS_SELECTOR, "#chart-track option")]


def test_without_the_serve_extra_it_says_what_to_install():
    done = run_without_tensorflow(
        f"""
        import sys
        from edge_runtime.cli import main
        sys.argv = ["edge-emo", "serve", "--camera-file", {str(FACE_CLIP)!r}]
        main()
        """,
        also_block=("aiohttp",),
    )
    assert done.returncode == 5 and "pip install 'edge-emo[serve]'" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_page_files_are_packaged():
    static = REPO / "edge_runtime" / "web" / "static"
    assert {p.name for p in static.iterdir()} == {"index.html", "app.js", "style.css"}
    assert "http" not in (static / "index.html").read_text().replace("http-equiv", "")  # no CDN


def test_finished_timelines_of_several_faces_are_read_per_person(tmp_path):
    """The page's file view reads schema_version 2 files (json, jsonl, csv) with their tracks."""
    from edge_runtime.labels import LABELS
    from edge_runtime.sinks import make_sinks
    from edge_runtime.timeline import SecondEntry
    from edge_runtime.web.server import read_timeline

    header = {"labels": list(LABELS), "model": {"name": "m", "training_data": "d"},
              "source": {"id": "x"}, "faces": {"max": 2}}  # fmt: skip
    probs = {k: 1.0 / len(LABELS) for k in LABELS}
    entries = [SecondEntry(t, True, probs, "neutral", 0.14, 30, 30, 1, track=track, box=[0, 0, 9, 9])
               for t in range(3) for track in (1, 2)]  # fmt: skip
    footer = {"tracks": [{"track": 1}, {"track": 2}]}
    for fmt in ("json", "jsonl", "csv"):
        path = tmp_path / f"t.emotions.{fmt}"
        (sink,) = make_sinks(fmt, path)
        sink.open(header)
        for entry in entries:
            sink.write(entry)
        sink.close(footer)
        timeline = read_timeline(path)
        assert timeline["tracks"] == [1, 2], fmt
        assert sorted((s["track"], s["t"]) for s in timeline["seconds"]) == sorted(
            (e.track, e.t) for e in entries
        ), fmt
