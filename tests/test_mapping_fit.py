"""The 478->68 table's fitting tools (`benchmarks/mapping_error.py`, `canonical_mesh.py`)."""

from __future__ import annotations

import numpy as np

from edge_emo.benchmarks.canonical_mesh import canonical_vertices, mirror_vertices
from edge_emo.benchmarks.mapping_error import fit_symmetric, mean_asymmetry, table_points
from edge_runtime.features.landmarks import IBUG68_FROM_MESH, IBUG68_FROM_MESH_V1, IBUG68_MIRROR


def test_canonical_mesh_pairs_every_vertex_with_its_mirror_image():
    vertices = canonical_vertices()
    partner = mirror_vertices(vertices)
    assert vertices.shape == (468, 3)
    np.testing.assert_array_equal(partner[partner], np.arange(468))  # an involution
    np.testing.assert_allclose(vertices[partner] * [-1, 1, 1], vertices, atol=1e-3)
    midline = partner == np.arange(468)
    assert 20 <= midline.sum() <= 40 and np.abs(vertices[midline, 0]).max() < 1e-3
    assert partner[33] == 263 and partner[61] == 291  # outer eye corners, mouth corners


def _faces(rng: np.random.Generator, n: int = 24) -> np.ndarray:
    """(n, 478, 2) image points of the canonical face, scaled, moved and jittered."""
    xy = canonical_vertices()[:, :2] * [1, -1]  # y down, as in an image
    mesh = np.zeros((n, 478, 2))
    scale = rng.uniform(8, 12, size=(n, 1, 1))
    mesh[:, :468] = xy * scale + rng.uniform(100, 200, size=(n, 1, 2))
    mesh[:, :468] += rng.normal(0, 0.05, size=(n, 468, 2))
    mesh[:, 468:] = mesh[:, :10]  # iris points: never chosen
    return mesh


def test_symmetric_fit_recovers_a_symmetric_reference_and_is_symmetric():
    rng = np.random.default_rng(0)
    mirror = mirror_vertices()
    # A symmetric reference: one mesh vertex per point of the subject's right half (the
    # current table's first), mirrored to the left; on the midline a vertex and its mirror.
    truth: list[tuple[int, ...]] = [()] * 68
    for k, sources in enumerate(IBUG68_FROM_MESH):
        partner, vertex = IBUG68_MIRROR[k], sources[0]
        if partner == k:
            truth[k] = tuple(sorted({vertex, int(mirror[vertex])}))
        elif not truth[k]:
            truth[k], truth[partner] = (vertex,), (int(mirror[vertex]),)
    mesh = _faces(rng)
    table = fit_symmetric(mesh, table_points(mesh, truth), mirror)
    assert [tuple(sorted(t)) for t in table] == truth
    for k, sources in enumerate(table):  # symmetric by construction
        mirrored = tuple(sorted(int(mirror[v]) for v in sources))
        assert mirrored == tuple(sorted(table[IBUG68_MIRROR[k]]))
    held_out = table_points(_faces(rng), table)
    first = table_points(_faces(rng), IBUG68_FROM_MESH_V1)  # the first, asymmetric table
    assert mean_asymmetry(held_out) < 0.01 < mean_asymmetry(first)
