"""How far the 478->68 mapping is from left-right symmetric, over many real faces.

Faces differ left to right, but over thousands of them the differences average out; what
remains is the mapping's own bias (a mesh point chosen higher on one side of the jaw than
its partner on the other). Each face is mirrored (x reflected about its centre, points
re-indexed to their mirror partners) and compared with itself; the mean over faces is that
bias, per point, in inter-ocular distances. It says why mirrored training windows are not
faces the tracker produces (the default model's card, "Why mirroring lost").

    python benchmarks/mapping_symmetry.py build/default-model/data/fer2013.stills.npz
"""

from __future__ import annotations

import argparse

import numpy as np

from edge_runtime.features.landmarks import IBUG68_MIRROR, REGIONS, interocular_distance
from edge_runtime.features.normalise import face_centre


def systematic_asymmetry(points: np.ndarray) -> np.ndarray:
    """(68, 2) mean of (mirrored face - face) over (N, 68, 2) faces, in inter-ocular distances,
    each face centred on its own centre (so a face that is merely off-centre adds nothing)."""
    points = np.asarray(points, dtype=np.float64)
    faces = (points - face_centre(points)[:, None]) / interocular_distance(points)[:, None, None]
    mirrored = faces[:, list(IBUG68_MIRROR)] * np.array([-1.0, 1.0])
    return (mirrored - faces).mean(axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bundle", help="a stills bundle (.npz with `points`, N x 68 x 2)")
    args = parser.parse_args()
    points = np.load(args.bundle)["points"]
    bias = np.linalg.norm(systematic_asymmetry(points), axis=1)
    print(f"{len(points)} faces; systematic asymmetry per point (inter-ocular distances):")
    for region, (start, stop) in REGIONS.items():
        worst = start + int(bias[start:stop].argmax())
        print(
            f"  {region:6s} mean {bias[start:stop].mean():.3f}  worst {bias[worst]:.3f} (point {worst})"
        )
    print(f"  all    mean {bias.mean():.3f}")


if __name__ == "__main__":
    main()
