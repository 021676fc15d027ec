"""MediaPipe's canonical face mesh, read from the bundled `face_landmarker.task`, and its
left-right mirror pairs.

The bundle's geometry metadata holds the 468-vertex mean face that MediaPipe's own pose
estimation uses; it is symmetric about x = 0, so each vertex has an exact mirror partner.
`pose.MEAN_FACE_68` was built from it, and the symmetric 478->68 fit
(`benchmarks/mapping_error.py --symmetric`) pairs points with it. Fit-time code only: the
runtime carries the results as constants.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterator

import numpy as np

from edge_runtime.assets import face_landmarker_bytes

GEOMETRY_FILE = "geometry_pipeline_metadata_landmarks.binarypb"


def canonical_vertices(task: bytes | None = None) -> np.ndarray:
    """(468, 3) x, y (up), z (towards the camera) of the canonical face, in centimetres."""
    with zipfile.ZipFile(io.BytesIO(task or face_landmarker_bytes())) as bundle:
        metadata = bundle.read(GEOMETRY_FILE)
    mesh = next(value for number, value in protobuf_fields(metadata) if number == 1)
    buffer = [value for number, value in protobuf_fields(mesh) if number == 3]
    return np.array(buffer, dtype=np.float64).reshape(468, 5)[:, :3]  # x, y, z, u, v


def mirror_vertices(vertices: np.ndarray | None = None, tolerance: float = 1e-3) -> np.ndarray:
    """(468,) the index of each vertex's mirror image (x -> -x); midline vertices map to
    themselves. Raises if the mesh is not symmetric within `tolerance` (its units)."""
    vertices = canonical_vertices() if vertices is None else np.asarray(vertices, np.float64)
    reflected = vertices * np.array([-1.0, 1.0, 1.0])
    distance = np.linalg.norm(reflected[:, None] - vertices[None], axis=-1)
    partner = distance.argmin(axis=1)
    worst = distance[np.arange(len(vertices)), partner].max()
    if worst > tolerance or not np.array_equal(partner[partner], np.arange(len(vertices))):
        raise ValueError(f"mesh is not left-right symmetric (worst vertex {worst:.4f} away)")
    return partner


def protobuf_fields(data: bytes) -> Iterator[tuple[int, int | float | bytes]]:
    """(field number, value) of a protobuf message's wire format: enough for one mesh."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, kind = key >> 3, key & 7
        if kind == 0:
            value, i = _varint(data, i)
        elif kind == 2:
            size, i = _varint(data, i)
            value, i = data[i : i + size], i + size
        elif kind == 5:
            value, i = struct.unpack("<f", data[i : i + 4])[0], i + 4
        else:
            raise ValueError(f"unexpected protobuf wire type {kind}")
        yield number, value


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i
