"""What `--max-fps` costs: agreement with the full-rate timeline, and what it saves in CPU.

    python -m edge_emo.benchmarks.max_fps tests/data/face_clip.mp4 more_clips/ --caps 15 10 7.5 5

Each clip runs through the file pipeline (`edge-emo run`'s centred timeline) at its full
rate and at each cap. For the seconds with a face in both: how often the top class is
the same, and the mean absolute difference of the 7 probabilities. CPU is the process
time of the whole pipeline (decode included) per second of video, on one core when run
under `taskset -c 0`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from edge_emo.benchmarks.machine import emit
from edge_runtime.extract import find_videos
from edge_runtime.pipeline import EmotionPipeline, PipelineOptions
from edge_runtime.sources.rate import FrameRateLimiter
from edge_runtime.sources.video import read_video


def timeline(clip: Path, cap: float | None) -> tuple[list, float, int]:
    """(seconds, CPU seconds, frames analysed) of the centred timeline at `cap`."""
    limiter = FrameRateLimiter(cap)
    start = time.process_time()
    with EmotionPipeline.create(PipelineOptions()) as pipeline:
        seconds = list(pipeline.run(read_video(clip, limiter=limiter)))
    return seconds, time.process_time() - start, limiter.kept


def compare(full: list, capped: list) -> dict:
    both = [(a, b) for a, b in zip(full, capped, strict=False) if a.face and b.face]
    if not both:
        return {"seconds_compared": 0, "top_agreement": None, "mean_abs_prob_diff": None}
    same = sum(a.top == b.top for a, b in both)
    diff = np.mean([abs(a.probs[k] - b.probs[k]) for a, b in both for k in a.probs])
    return {
        "seconds_compared": len(both),
        "top_agreement": round(same / len(both), 3),
        "mean_abs_prob_diff": round(float(diff), 4),
    }


def measure(clips: list[Path], caps: list[float], log=print) -> dict:
    per_clip, totals = [], {cap: [0, 0] for cap in caps}
    cpu = {None: 0.0, **{cap: 0.0 for cap in caps}}
    video_s = 0.0
    for clip in clips:
        full, full_cpu, full_frames = timeline(clip, None)
        duration = len(full)
        video_s += duration
        cpu[None] += full_cpu
        row = {"clip": clip.name, "seconds": duration, "full_frames": full_frames, "caps": {}}
        for cap in caps:
            capped, cap_cpu, frames = timeline(clip, cap)
            cpu[cap] += cap_cpu
            result = compare(full, capped) | {"frames": frames}
            row["caps"][str(cap)] = result
            if result["seconds_compared"]:
                totals[cap][0] += round(result["top_agreement"] * result["seconds_compared"])
                totals[cap][1] += result["seconds_compared"]
        log(json.dumps(row))
        per_clip.append(row)
    summary = {
        str(cap): {
            "top_agreement": round(same / n, 3) if n else None,
            "seconds_compared": n,
            "cpu_s_per_video_s": round(cpu[cap] / video_s, 3),
        }
        for cap, (same, n) in totals.items()
    }
    summary["full rate"] = {"cpu_s_per_video_s": round(cpu[None] / video_s, 3)}
    return {"clips": per_clip, "summary": summary, "video_seconds": video_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", type=Path, nargs="+", help="videos or folders")
    parser.add_argument("--caps", type=float, nargs="+", default=[15.0, 10.0, 7.5, 5.0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    emit(
        measure(find_videos(args.inputs), args.caps, log=lambda s: print(s, file=sys.stderr)),
        args.json,
    )


if __name__ == "__main__":
    main()
