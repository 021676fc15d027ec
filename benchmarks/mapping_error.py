"""Measure the 478->68 mapping against dlib's 68-point predictor on real video.

Reference: dlib (`pip install dlib-bin`) with the iBUG-68 shape predictor from
Debian's libdlib-data (/usr/share/dlib/shape_predictor_68_face_landmarks.dat).
Neither is a dependency of edge-emo; this script is the only place they are used.

    python benchmarks/mapping_error.py VIDEO... [--stride 3] [--fit | --symmetric] [--test VIDEO...]

Give one video per person (training videos, never the reserved evaluation sets: the first
table, `dlib-fit-v1`, was fitted on tests/data/face_clip.mp4, a reserved fixture; the
default `symmetric-v2` on the training-video people, README "Landmarks"). Prints the mean
error per region in inter-ocular distances (outer eye corners, from dlib) of the default
table. `--fit` also searches, point by point, the mesh point or pair of mesh points closest
to dlib on the people at even positions and reports it and the default table on the people
at odd positions (or on the `--test` people); `--symmetric` fits a left-right symmetric
table instead.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from edge_emo.benchmarks.canonical_mesh import mirror_vertices
from edge_emo.benchmarks.mapping_symmetry import systematic_asymmetry
from edge_runtime.face_landmarks import FaceLandmarker
from edge_runtime.features.landmarks import (
    IBUG68_MIRROR,
    REGIONS,
    interocular_distance,
    mediapipe_to_ibug68,
)
from edge_runtime.sources.video import read_video

PREDICTOR = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"


def collect(video: str, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Mesh (N, 478, 2) and dlib (N, 68, 2) points on frames where both find one face."""
    import dlib

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(PREDICTOR)
    meshes, refs = [], []
    with FaceLandmarker.create() as landmarker:
        for frame in read_video(video):
            observation = landmarker.detect(frame)
            if observation is None or frame.index % stride:
                continue
            gray = frame.image[:, :, ::-1].mean(axis=2).astype(np.uint8)
            boxes = detector(gray, 1)
            if len(boxes) != 1:
                continue
            shape = predictor(gray, boxes[0])
            refs.append([(p.x, p.y) for p in shape.parts()])
            meshes.append(observation.mesh[:, :2])
    return np.asarray(meshes, np.float64), np.asarray(refs, np.float64)


def region_errors(pred: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    iod = interocular_distance(ref)[:, None]
    err = np.linalg.norm(pred - ref, axis=-1) / iod
    out = {name: float(err[:, a:b].mean()) for name, (a, b) in REGIONS.items()}
    out["all"] = float(err.mean())
    return out


def fit(train_mesh: np.ndarray, train_ref: np.ndarray) -> list[tuple[int, ...]]:
    """Per iBUG point, the single mesh point or pair whose mean is closest to dlib."""
    iod = interocular_distance(train_ref)[:, None]
    table = []
    for k in range(68):
        d = np.linalg.norm(train_mesh - train_ref[:, k : k + 1], axis=-1) / iod
        single = d.mean(axis=0)
        single[468:] = np.inf  # iris points follow gaze, not the face
        nearest = np.argsort(single)[:12]
        best, best_err = (int(nearest[0]),), single[nearest[0]]
        for a, b in itertools.combinations(nearest, 2):
            # Only neighbours: the mean of two distant points would not follow the skin.
            if (
                np.linalg.norm(train_mesh[:, a] - train_mesh[:, b], axis=-1) / iod[:, 0]
            ).mean() > 0.12:
                continue
            mid = (train_mesh[:, a] + train_mesh[:, b]) / 2
            e = (np.linalg.norm(mid - train_ref[:, k], axis=-1) / iod[:, 0]).mean()
            if e < best_err - 0.002:  # a pair must earn its keep
                best, best_err = (int(a), int(b)), e
        table.append(best)
    return table


def fit_symmetric(
    train_mesh: np.ndarray, train_ref: np.ndarray, mirror: np.ndarray
) -> list[tuple[int, ...]]:
    """Like `fit`, but each iBUG point's mirror partner (`IBUG68_MIRROR`) takes the mirror
    images (`mirror`, per mesh vertex) of its mesh points, and midline points take a midline
    vertex or a vertex and its mirror image: the table is left-right symmetric by construction.
    A pair and its partner are chosen together, by their summed distance to dlib."""
    iod = interocular_distance(train_ref)[:, None]

    def error(k: int, sources: tuple[int, ...]) -> float:
        point = train_mesh[:, list(sources)].mean(axis=1)
        return float((np.linalg.norm(point - train_ref[:, k], axis=-1) / iod[:, 0]).mean())

    def neighbours(a: int, b: int) -> bool:
        gap = np.linalg.norm(train_mesh[:, a] - train_mesh[:, b], axis=-1) / iod[:, 0]
        return bool(gap.mean() <= 0.12)

    def pair_cost(k: int, partner: int, sources: tuple[int, ...]) -> float:
        if partner == k:
            return 2 * error(k, sources)
        return error(k, sources) + error(partner, tuple(int(mirror[v]) for v in sources))

    table: list[tuple[int, ...] | None] = [None] * 68
    for k in range(68):
        partner = IBUG68_MIRROR[k]
        if table[k] is not None:
            continue
        d = np.linalg.norm(train_mesh - train_ref[:, k : k + 1], axis=-1) / iod
        single = d.mean(axis=0)
        single[468:] = np.inf
        nearest = [int(v) for v in np.argsort(single)[:12]]
        if partner == k:  # midline: a midline vertex, or a vertex and its mirror image
            candidates = [(v,) for v in nearest if mirror[v] == v]
            candidates += [tuple(sorted((v, int(mirror[v])))) for v in nearest if mirror[v] != v]
            candidates = [c for c in candidates if len(c) == 1 or neighbours(*c)]
        else:
            candidates = [(v,) for v in nearest]
            candidates += [
                (a, b) for a, b in itertools.combinations(nearest, 2) if neighbours(a, b)
            ]
        scored = sorted((pair_cost(k, partner, c), len(c), c) for c in candidates)
        best_single = min((s for s, n, _ in scored if n == 1), default=np.inf)
        # a pair must earn its keep, as in `fit` (0.002 per point, the two points together)
        best = next(c for s, n, c in scored if n == 1 or s < best_single - 0.004)
        table[k] = best
        if partner != k:
            table[partner] = tuple(int(mirror[v]) for v in best)
    return table  # type: ignore[return-value]


def table_points(mesh: np.ndarray, table: list[tuple[int, ...]]) -> np.ndarray:
    """(N, 68, 2) iBUG points of (N, 478, 2) meshes under a candidate table."""
    return np.stack([mesh[:, list(t)].mean(axis=1) for t in table], axis=1)


def mean_asymmetry(points: np.ndarray) -> float:
    """Mean systematic left-right asymmetry per point, in inter-ocular distances."""
    return float(np.linalg.norm(systematic_asymmetry(points), axis=1).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="+", help="one video per person")
    parser.add_argument("--stride", type=int, default=1, help="use every Nth frame")
    parser.add_argument("--fit", action="store_true")
    parser.add_argument(
        "--symmetric", action="store_true", help="fit a left-right symmetric table (implies --fit)"
    )
    parser.add_argument(
        "--test",
        nargs="+",
        metavar="VIDEO",
        help="other people to measure a fitted table on (default: fit on the videos at even "
        "positions, measure on those at odd positions)",
    )
    args = parser.parse_args()
    people = [collect(video, args.stride) for video in args.videos]
    counts = [len(ref) for _, ref in people]
    print(
        f"frames with one face in both: {sum(counts)} ({len(people)} videos, {min(counts)}-{max(counts)} each)"
    )
    mesh, ref = _stack(people)
    print("default table, all frames:", _fmt(region_errors(mediapipe_to_ibug68(mesh), ref)))
    if args.fit or args.symmetric:
        if args.test:
            fit_people, test_people = people, [collect(v, args.stride) for v in args.test]
        else:
            fit_people, test_people = people[::2], people[1::2]
        test_mesh, test_ref = _stack(test_people)
        print(f"measured on {len(test_people)} people, {len(test_ref)} frames")
        if args.symmetric:
            table = fit_symmetric(*_stack(fit_people), mirror_vertices())
        else:
            table = fit(*_stack(fit_people))
        fitted, default = table_points(test_mesh, table), mediapipe_to_ibug68(test_mesh)
        print("fitted table, held-out people:", _fmt(region_errors(fitted, test_ref)))
        print("default table, held-out people:", _fmt(region_errors(default, test_ref)))
        print(
            f"systematic asymmetry (IOD per point, held-out people): fitted "
            f"{mean_asymmetry(fitted):.3f}, default {mean_asymmetry(default):.3f}, "
            f"dlib {mean_asymmetry(test_ref):.3f}"
        )
        print("fitted table:", table)


def _stack(people: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Several people's (mesh, dlib) frames as one pair of arrays."""
    return np.concatenate([m for m, _ in people]), np.concatenate([r for _, r in people])


def _fmt(errors: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in errors.items())


if __name__ == "__main__":
    main()
