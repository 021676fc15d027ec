"""Peak memory of the run pipeline on a clip and on the same clip looped to N minutes.

The pipeline streams, so a 10-minute video should peak within a few percent of a
10-second one. Each run is a fresh process that reports its own peak RSS.

    python -m edge_emo.benchmarks.memory tests/data/face_clip.mp4 --minutes 10
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from edge_runtime.sources.video import probe_video, read_video

# VmHWM, not getrusage: ru_maxrss survives exec, so a child started by a big parent
# (this benchmark with TensorFlow loaded) would report the parent's peak.
CHILD = """
import sys
from edge_runtime.pipeline import EmotionPipeline
from edge_runtime.sources.video import read_video
with EmotionPipeline.create() as pipeline:
    seconds = sum(1 for _ in pipeline.run(read_video(sys.argv[1])))
with open("/proc/self/status") as f:
    kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
print(seconds, pipeline.times.frames, kib)
"""


def looped_copy(source: Path, seconds: float, out: Path) -> Path:
    """`source` repeated until it lasts `seconds` (ffmpeg stream copy if found, else OpenCV)."""
    duration = probe_video(source).nominal_duration_s or 1.0
    repeats = math.ceil(seconds / duration)
    if shutil.which("ffmpeg"):
        listing = out.with_suffix(".txt")
        listing.write_text(f"file '{source.resolve()}'\n" * repeats)
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
             "-t", str(seconds), "-c", "copy", str(out)],
            check=True,
        )  # fmt: skip
        return out
    import cv2

    info = probe_video(source)
    writer = cv2.VideoWriter(
        str(out), cv2.VideoWriter_fourcc(*"mp4v"), info.nominal_fps, (info.width, info.height)
    )
    limit = round(seconds * info.nominal_fps)
    written = 0
    while written < limit:
        for frame in read_video(source):
            writer.write(frame.image)
            written += 1
            if written >= limit:
                break
    writer.release()
    return out


def peak_rss(video: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(video)], capture_output=True, text=True, check=True
    )
    seconds, frames, kib = done.stdout.split()
    return {
        "video_s": int(seconds),
        "frames": int(frames),
        "peak_rss_mb": round(int(kib) / 1024, 1),
    }


def measure_memory(video: Path, minutes: float = 10.0, short_s: float = 10.0) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        short = peak_rss(looped_copy(video, short_s, Path(tmp) / "short.mp4"))
        long = peak_rss(looped_copy(video, minutes * 60, Path(tmp) / "long.mp4"))
    return {
        "short": short,
        "long": long,
        "long_over_short_pct": round(100 * (long["peak_rss_mb"] / short["peak_rss_mb"] - 1), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    print(json.dumps(measure_memory(args.video, args.minutes), indent=2))


if __name__ == "__main__":
    main()
