"""What the web page costs on the device: CPU per analysed frame of `serve` (one browser open) vs `run`.

    python -m edge_emo.benchmarks.serve_cost tests/data/face_clip.mp4 --seconds 19 --rounds 3

Both replay the clip at real-time pace through the live path (`--camera-file`), pinned
to one core (`taskset -c CORE`), writing the same JSONL timeline. `serve` has headless
Chromium (Debian's `chromium` + `chromium-driver`, driven by selenium) showing its page the
whole time; the browser runs unpinned and its CPU is not counted. The CPU of each edge-emo
process is its own user + system time (os.wait4), divided by the frames it analysed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from edge_emo.benchmarks.local_broker import free_port
from edge_emo.benchmarks.machine import emit
from edge_emo.benchmarks.process_speed import edge_emo_command, pinned

TOKEN = "benchmark-token-0123456789"


def cpu_of(process: subprocess.Popen) -> float:
    """User + system seconds of a finished child (waits for it)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"edge-emo exited {process.returncode}")
    return usage.ru_utime + usage.ru_stime


def analysed(out: Path) -> int:
    end = json.loads(out.read_text().splitlines()[-1])
    return end["live"]["frames_analysed"]


def one_run(clip: Path, seconds: float, core: int | None, out: Path) -> float:
    command = [*edge_emo_command(), "run", "--camera-file", str(clip), "--seconds", str(seconds),
               "-f", "jsonl", "-o", str(out), "-q"]  # fmt: skip
    cpu = cpu_of(subprocess.Popen(pinned(command, core)))
    return 1000 * cpu / analysed(out)


def one_serve(clip: Path, seconds: float, core: int | None, out: Path) -> float:
    from selenium import webdriver

    port = free_port()
    command = [*edge_emo_command(), "serve", "--camera-file", str(clip), "--seconds", str(seconds),
               "-o", str(out), "-q", "--port", str(port), "--token", TOKEN]  # fmt: skip
    process = subprocess.Popen(pinned(command, core), stderr=subprocess.PIPE, text=True)
    for line in process.stderr:  # until "serving ..." (it listens)
        if "serving" in line:
            break
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(
        service=webdriver.ChromeService(shutil.which("chromedriver")), options=options
    )
    try:
        driver.get(f"http://127.0.0.1:{port}/?token={TOKEN}")
        cpu = cpu_of(process)  # serve ends with its source; the page is open until then
    finally:
        driver.quit()
    return 1000 * cpu / analysed(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("--seconds", type=float, default=19.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--core", type=int, default=0, help="-1: no pinning")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        raise SystemExit("needs Debian's chromium and chromium-driver (and pip install selenium)")
    core = None if args.core < 0 else args.core
    run_ms, serve_ms = [], []
    with tempfile.TemporaryDirectory(prefix="edge-emo-serve-cost-") as tmp:
        for i in range(args.rounds):
            run_ms.append(one_run(args.clip, args.seconds, core, Path(tmp) / f"run{i}.jsonl"))
            serve_ms.append(one_serve(args.clip, args.seconds, core, Path(tmp) / f"serve{i}.jsonl"))
            print(f"round {i + 1}: run {run_ms[-1]:.2f} ms, serve {serve_ms[-1]:.2f} ms CPU per frame",
                  flush=True)  # fmt: skip
            time.sleep(1)
    ratio = statistics.median(serve_ms) / statistics.median(run_ms)
    emit({"clip": str(args.clip), "seconds": args.seconds, "core": core,
          "run_cpu_ms_per_frame": [round(v, 3) for v in run_ms],
          "serve_cpu_ms_per_frame": [round(v, 3) for v in serve_ms],
          "serve_over_run_of_medians": round(ratio, 3)}, args.json)  # fmt: skip


if __name__ == "__main__":
    main()
