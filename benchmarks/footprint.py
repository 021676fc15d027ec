"""Installed size of the base (runtime) install vs the `[train]` one, from this environment.

Walks edge-emo's requirements (with and without the extra) through the installed
distributions and adds up their files, so no second environment has to be built.

    python -m edge_emo.benchmarks.footprint
"""

from __future__ import annotations

import json
import re
from importlib.metadata import PackageNotFoundError, distribution


def _name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _extra_of(requirement: str) -> str | None:
    match = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", requirement)
    return match.group(1) if match else None


def _applies(requirement: str) -> bool:
    """Environment markers other than `extra` (platform, python version) for this machine."""
    try:
        from packaging.markers import Marker
    except ImportError:  # no `packaging`: count the requirement
        return True
    marker = requirement.partition(";")[2].strip()
    if not marker:
        return True
    try:
        return Marker(marker).evaluate({"extra": _extra_of(requirement) or ""})
    except Exception:
        return True


def closure(root: str, extras: set[str]) -> dict[str, int]:
    """{distribution: installed bytes} of `root[extras]` and everything it pulls in."""
    sizes: dict[str, int] = {}
    todo = [(root, extras)]
    while todo:
        name, wanted = todo.pop()
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        key = _name(dist.metadata["Name"])
        if key not in sizes:
            sizes[key] = sum(
                (f.locate().stat().st_size for f in dist.files or [] if f.locate().exists()), 0
            )
        for requirement in dist.requires or []:
            extra = _extra_of(requirement)
            wanted_here = (extra is None or extra in wanted) and _applies(requirement)
            if wanted_here and _name(requirement) not in sizes:
                todo.append((_name(requirement), set()))
    return sizes


def measure_footprint() -> dict:
    base = closure("edge-emo", set())
    train = closure("edge-emo", {"train"})
    largest = sorted(base.items(), key=lambda kv: -kv[1])[:5]
    return {
        "base_mb": round(sum(base.values()) / 1e6, 1),
        "train_mb": round(sum(train.values()) / 1e6, 1),
        "base_packages": len(base),
        "train_packages": len(train),
        "base_largest_mb": {k: round(v / 1e6, 1) for k, v in largest},
    }


if __name__ == "__main__":
    print(json.dumps(measure_footprint(), indent=2))
