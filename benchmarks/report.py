"""`edge-emo benchmark`: every latency figure side by side in one run, as tables and JSON.

Sections: model latency (LiteRT models x thread counts, Keras float when TensorFlow is
installed), pipeline fps per stage at several sizes vs MediaPipe alone, the seed-style
baseline, cold start, peak memory (short vs long video) and installed footprint. Those
needing a clip run when `--clip` is given; the seed style needs `--keras` and TensorFlow.
"""

from __future__ import annotations

import importlib.util
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from edge_runtime.atomic import write_text

from .footprint import measure_footprint
from .machine import describe_machine
from .model_latency import time_keras, time_tflite


@dataclass(frozen=True)
class BenchmarkOptions:
    models: list[Path]
    keras: Path | None = None
    clip: Path | None = None
    threads: list[int] = field(default_factory=lambda: [1, 2, 4])
    iterations: int = 300
    sizes: list[str] = field(default_factory=lambda: ["640x480", "1280x720"])
    memory_minutes: float = 0.0
    quick: bool = False

    @classmethod
    def quick_mode(cls, **kwargs) -> BenchmarkOptions:
        """A smoke run in seconds: few iterations, one thread, 60 frames, no memory run."""
        kwargs.update(threads=[1], iterations=30, sizes=["640x480"], memory_minutes=0.0)
        return cls(quick=True, **kwargs)


def run_benchmark(options: BenchmarkOptions, log=print) -> dict:
    started = time.time()
    result: dict = {"machine": describe_machine(), "quick": options.quick}
    rows = []
    for model in options.models:
        for threads in options.threads:
            rows.append(time_tflite(model, threads, options.iterations))
    has_tf = importlib.util.find_spec("tensorflow") is not None
    if options.keras and has_tf:
        rows += time_keras(options.keras, max(10, options.iterations // 10))
    elif options.keras:
        log("TensorFlow is not installed: Keras figures skipped (pip install 'edge-emo[train]')")
    result["model_latency"] = rows
    predict = next((r for r in rows if r["engine"] == "keras predict"), None)
    int8 = next((r for r in rows if r["quantisation"] == "int8" and r["threads"] == 1), None)
    if predict and int8:
        result["keras_predict_over_int8"] = round(predict["median_ms"] / int8["median_ms"], 1)

    if options.clip:
        from .pipeline_speed import measure_sizes
        from .startup import measure_startup

        frames = 60 if options.quick else None
        log("pipeline: re-encoding the clip at each size and timing every stage")
        result["pipeline"] = measure_sizes(options.clip, options.sizes, frames)
        keras = options.keras if has_tf else None
        if keras:
            from .seed_baseline import seed_style_fps

            seed = seed_style_fps(options.clip, keras, frames)
            result["seed_style_steady"] = seed
            result["pipeline_over_seed_fps"] = round(
                result["pipeline"][0]["end_to_end_fps"] / seed["fps"], 2
            )
        log("start-up: fresh processes, process start to first prediction")
        result["startup"] = measure_startup(options.clip, keras, repeats=1 if options.quick else 3)
        if options.memory_minutes > 0:
            from .memory import measure_memory

            log(f"memory: 10 s vs {options.memory_minutes:g} min of the looped clip")
            result["memory"] = measure_memory(options.clip, options.memory_minutes)
    result["footprint"] = measure_footprint()
    result["elapsed_s"] = round(time.time() - started, 1)
    return result


def print_report(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    m = result["machine"]
    console.print(
        f"{m['cpu']} ({m['arch']}, {m['cores_usable']} of {m['cores_total']} cores), "
        f"Python {m['python']}, " + ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    )
    table = Table(title="Model latency, one window (batch 1)")
    for column in ("model", "engine", "quant", "threads", "median ms", "p90 ms", "p99 ms", "windows/s"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("model", "engine") else "right")
    for r in result["model_latency"]:
        table.add_row(
            r["model"], r["engine"], r["quantisation"], str(r["threads"]),
            f"{r['median_ms']:.3f}", f"{r['p90_ms']:.3f}", f"{r['p99_ms']:.3f}", f"{r['windows_per_s']:,.0f}",
        )  # fmt: skip
    console.print(table)
    if "keras_predict_over_int8" in result:
        console.print(
            f"Keras predict / LiteRT int8 (1 thread): {result['keras_predict_over_int8']}x"
        )
    if "pipeline" in result:
        table = Table(title="Pipeline (decode -> landmarks -> model -> timeline)")
        for column in (
            "size",
            "frames",
            "fps",
            "MediaPipe alone",
            "ratio",
            "ms per frame by stage",
        ):
            table.add_column(column, justify="left" if column.startswith("ms") else "right")
        for r in result["pipeline"]:
            stages = ", ".join(f"{k} {v:.2f}" for k, v in r["stage_ms_per_frame"].items())
            table.add_row(
                r["size"], str(r["frames"]), f"{r['end_to_end_fps']:.1f}",
                f"{r['mediapipe_alone_fps']:.1f}", f"{r['ratio_to_mediapipe_alone']:.2f}", stages,
            )  # fmt: skip
        console.print(table)
    if "seed_style_steady" in result:
        s = result["seed_style_steady"]
        console.print(
            f"seed style (IMAGE mode, Keras predict): {s['fps']} fps steady; "
            f"edge pipeline / seed = {result['pipeline_over_seed_fps']}x"
        )
    if "startup" in result:
        s = result["startup"]
        line = f"start-up to first prediction: edge runtime {s['edge_runtime']['median_s']:.2f} s"
        if "seed_style" in s:
            line += f", seed style {s['seed_style']['median_s']:.2f} s ({s['seed_over_edge']}x)"
        console.print(line)
    if "memory" in result:
        s = result["memory"]
        console.print(
            f"peak RSS: {s['short']['video_s']} s video {s['short']['peak_rss_mb']} MB, "
            f"{s['long']['video_s']} s video {s['long']['peak_rss_mb']} MB "
            f"({s['long_over_short_pct']:+.1f}%)"
        )
    f = result["footprint"]
    console.print(
        f"installed: base {f['base_mb']} MB ({f['base_packages']} packages), "
        f"with \\[train] {f['train_mb']} MB ({f['train_packages']} packages)"
    )


def write_json(result: dict, path: Path) -> None:
    write_text(path, json.dumps(result, indent=2) + "\n")
