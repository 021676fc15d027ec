"""What a benchmark ran on: CPU model, cores, OS, Python and package versions.

Stored beside every result so that figures from a Pi and a desktop can be compared.
"""

from __future__ import annotations

import json
import os
import platform
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGES = (
    "edge-emo",
    "numpy",
    "mediapipe",
    "ai-edge-litert",
    "tflite-runtime",
    "opencv-contrib-python",
    "tensorflow",
    "keras",
    "tf-keras",
    "paho-mqtt",
)


def cpu_model() -> str:
    """The CPU's marketing name (x86 'model name', Arm 'Model'/'Hardware'), else the machine type."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cores() -> int:
    """Cores this process may run on (respects taskset/cgroups), not the machine's total."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def describe_machine() -> dict:
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            continue
    return {
        "cpu": cpu_model(),
        "arch": platform.machine(),
        "cores_usable": usable_cores(),
        "cores_total": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": packages,
    }


def emit(result: dict, path: Path | None = None) -> dict:
    """Stamp `result` with the machine and date, print it as JSON, and write it to `path`."""
    result = {**result, "machine": describe_machine(), "date": time.strftime("%Y-%m-%d")}
    text = json.dumps(result, indent=2)
    print(text)
    if path is not None:
        path.write_text(text + "\n")
    return result
