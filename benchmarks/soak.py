"""Long-run stability: a looped clip through the camera code path, RSS and latency over time.

The clip is replayed endlessly with continuous timestamps, paced like a camera (or as
fast as possible with --fast), through the same causal, smoothed pipeline and streaming
JSON-lines sink that `edge-emo run --camera` uses. Every second of video, the process's
resident memory and the per-frame processing time are sampled; the report gives the
memory slope (least squares after a warm-up) and latency percentiles, early vs late.

    python -m edge_emo.benchmarks.soak tests/data/face_clip.mp4 --minutes 10 --csv soak.csv
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from edge_runtime.atomic import write_text
from edge_runtime.model.classifier import ClassifierOptions
from edge_runtime.pipeline import EmotionPipeline, PipelineOptions
from edge_runtime.sinks import make_sinks
from edge_runtime.sources.video import VideoFrame, read_video

WARMUP_FRACTION = 0.1


def current_rss_mb() -> float:
    """Resident set size now (not the peak), from /proc; 0 where there is no /proc."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return 0.0


def looped_frames(path: Path, seconds: float, realtime: bool) -> Iterator[VideoFrame]:
    """The clip over and over, timestamps continuing across loops, until `seconds` of video."""
    offset, index, start = 0.0, 0, time.monotonic()
    while True:
        last = 0.0
        for frame in read_video(path):
            t = offset + frame.timestamp_s
            if t >= seconds:
                return
            if realtime and (delay := start + t - time.monotonic()) > 0:
                time.sleep(delay)
            yield VideoFrame(index=index, timestamp_s=t, image=frame.image)
            index += 1
            last = frame.timestamp_s
        offset += last + 1.0 / 30.0


def soak(clip: Path, seconds: float, realtime: bool = True, model: Path | None = None) -> dict:
    samples: list[dict] = []
    frame_ms: list[float] = []
    entries = 0
    options = PipelineOptions(classifier=ClassifierOptions(model), mode="causal", smoothing=0.5)
    with tempfile.TemporaryDirectory() as tmp, EmotionPipeline.create(options) as pipeline:
        (sink,) = make_sinks("jsonl", Path(tmp) / "soak.jsonl", plot=False, streaming=True)
        sink.open({"schema": "edge-emo/soak"})
        frames = looped_frames(clip, seconds, realtime)
        next_sample = 1.0
        wall0 = time.monotonic()
        stream = pipeline.run(_timed(frames, frame_ms))
        for entry in stream:
            sink.write(entry)
            entries += 1
            if entry.t + 1 >= next_sample:
                samples.append(
                    {
                        "video_s": entry.t + 1,
                        "wall_s": round(time.monotonic() - wall0, 2),
                        "rss_mb": round(current_rss_mb(), 2),
                        "frame_ms_mean": round(float(np.mean(frame_ms)), 3) if frame_ms else 0.0,
                        "frame_ms_max": round(float(np.max(frame_ms)), 3) if frame_ms else 0.0,
                    }
                )
                frame_ms.clear()
                next_sample = entry.t + 2
        sink.close({"seconds_total": entries})
    return summarise(samples, entries, realtime)


def _timed(frames: Iterator[VideoFrame], frame_ms: list[float]) -> Iterator[VideoFrame]:
    """Yield frames; record how long the pipeline took with each before asking for the next."""
    for frame in frames:
        start = time.perf_counter()
        yield frame
        frame_ms.append(1000 * (time.perf_counter() - start))


def summarise(samples: list[dict], entries: int, realtime: bool) -> dict:
    steady = samples[int(len(samples) * WARMUP_FRACTION) :]
    hours = np.array([s["video_s"] for s in steady]) / 3600
    rss = np.array([s["rss_mb"] for s in steady])
    slope = float(np.polyfit(hours, rss, 1)[0]) if len(steady) >= 3 else 0.0
    half = len(steady) // 2
    means = [s["frame_ms_mean"] for s in steady]
    return {
        "video_s": samples[-1]["video_s"] if samples else 0,
        "wall_s": samples[-1]["wall_s"] if samples else 0,
        "realtime": realtime,
        "entries": entries,
        "rss_mb_start": float(rss[0]) if len(rss) else 0.0,
        "rss_mb_end": float(rss[-1]) if len(rss) else 0.0,
        "rss_mb_max": float(rss.max()) if len(rss) else 0.0,
        "rss_slope_mb_per_hour": round(slope, 2),
        "frame_ms_first_half": round(float(np.mean(means[:half])), 3) if half else None,
        "frame_ms_second_half": round(float(np.mean(means[half:])), 3) if half else None,
        "frame_ms_worst": max((s["frame_ms_max"] for s in steady), default=None),
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--fast", action="store_true", help="do not pace frames like a camera")
    parser.add_argument("--csv", type=Path, help="write the per-second samples here")
    parser.add_argument("--json", type=Path, help="write the whole report here")
    args = parser.parse_args()
    report = soak(args.clip, args.minutes * 60, realtime=not args.fast)
    if args.csv:
        rows = ["video_s,wall_s,rss_mb,frame_ms_mean,frame_ms_max"]
        rows += [",".join(str(s[k]) for k in rows[0].split(",")) for s in report["samples"]]
        write_text(args.csv, "\n".join(rows) + "\n")
    if args.json:
        write_text(args.json, json.dumps(report, indent=2) + "\n")
    summary = {k: v for k, v in report.items() if k != "samples"}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
