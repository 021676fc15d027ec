"""MediaPipe's 478-point face mesh -> the 68-point iBUG-300W layout that OpenFace writes.

Each iBUG point is the mean of one or two neighbouring mesh points, chosen point by point
against dlib's 68-point predictor (`benchmarks/mapping_error.py`). Two tables, named in
every model's sidecar (`normalisation.landmarks`) so the runtime maps as training did:

- `symmetric-v2` (`IBUG68_FROM_MESH`, the default since 2026-12-01): left-right symmetric
  (a point's mirror partner uses the mirror images of its mesh points in MediaPipe's
  canonical mesh), fitted on 28 training-video people and measured on 31 others: 0.039
  inter-ocular distances from dlib (jaw 0.067, brows 0.054, nose 0.027, eyes 0.021, mouth
  0.025), where the first table is also 0.039 (README, "Landmarks").
- `dlib-fit-v1` (`IBUG68_FROM_MESH_V1`): the first table, fitted on the bundled clip (a
  reserved evaluation fixture) and not symmetric; models whose sidecar names no table use it.
"""

from __future__ import annotations

import numpy as np

# iBUG-68 order: jaw 0-16, right brow 17-21, left brow 22-26, nose 27-35,
# right eye 36-41, left eye 42-47, outer lips 48-59, inner lips 60-67.
# "Right" is the subject's right, i.e. the image's left side.
# fmt: off
IBUG68_FROM_MESH: tuple[tuple[int, ...], ...] = (
    # jaw 0-16, image-left ear -> chin (8) -> image-right ear
    (127,), (234,), (177,), (215,), (138, 172), (136,), (149,), (176, 171), (152,),
    (400, 396), (378,), (365,), (367, 397), (435,), (401,), (454,), (356,),
    # brows 17-21 (subject's right), 22-26 (subject's left), outer -> inner -> outer
    (70, 46), (63,), (105, 52), (66,), (107, 55),
    (336, 285), (296,), (334, 282), (293,), (300, 276),
    # nose bridge 27-30, nostril base 31-35
    (168,), (197,), (3, 248), (4,),
    (240, 75), (97,), (2,), (326,), (460, 305),
    # right eye 36-41: outer corner, upper lid x2, inner corner, lower lid x2
    (33,), (160, 159), (158,), (155,), (153,), (144,),
    # left eye 42-47: inner corner, upper lid x2, outer corner, lower lid x2
    (382,), (385,), (387, 386), (263,), (373,), (380,),
    # outer lips 48-59
    (61,), (74, 39), (37,), (0,), (267,), (304, 269), (291,), (405, 321),
    (314,), (17,), (84,), (181, 91),
    # inner lips 60-67
    (183, 77), (82,), (13,), (312,), (407, 307), (317,), (14,), (87,),
)
# fmt: on
"""`symmetric-v2`: mesh indices averaged for each iBUG point (iris points 468-477 are never
used: they follow gaze). Fitted with `python benchmarks/mapping_error.py VIDEOS --symmetric`."""

# fmt: off
IBUG68_FROM_MESH_V1: tuple[tuple[int, ...], ...] = (
    # jaw 0-16, image-left ear -> chin (8) -> image-right ear
    (127,), (234,), (177,), (215,), (138, 172), (136,), (149, 150), (176, 171), (152,),
    (377, 400), (378,), (365,), (367, 397), (435,), (376, 323), (454,), (356,),
    # brows 17-21 (subject's right), 22-26 (subject's left), outer -> inner -> outer
    (70, 139), (63,), (105,), (66,), (107, 55),
    (336, 285), (296,), (334,), (293, 283), (300, 383),
    # nose bridge 27-30, nostril base 31-35
    (168,), (197, 6), (195, 5), (4,),
    (240,), (99,), (164, 125), (326, 250), (305,),
    # right eye 36-41: outer corner, upper lid x2, inner corner, lower lid x2
    (33,), (160,), (158,), (155,), (153,), (144,),
    # left eye 42-47: inner corner, upper lid x2, outer corner, lower lid x2
    (341, 398), (385,), (387, 386), (249, 263), (373,), (380,),
    # outer lips 48-59
    (57, 184), (39, 40), (37,), (11, 0), (267, 302), (269, 303), (306,), (405, 320),
    (314,), (17,), (84,), (91, 181),
    # inner lips 60-67
    (76, 183), (82,), (13,), (312,), (407, 325), (317,), (14,), (87, 178),
)
# fmt: on
"""`dlib-fit-v1`, the first table (fitted on one person, not symmetric)."""

SYMMETRIC_V2, DLIB_FIT_V1 = "symmetric-v2", "dlib-fit-v1"
MAPPINGS: dict[str, tuple[tuple[int, ...], ...]] = {
    SYMMETRIC_V2: IBUG68_FROM_MESH,
    DLIB_FIT_V1: IBUG68_FROM_MESH_V1,
}
"""The 478->68 tables this runtime knows, by the name a sidecar records."""
DEFAULT_MAPPING = SYMMETRIC_V2
"""What `extract`, `label`, `stills` and new models use."""
LEGACY_MAPPING = DLIB_FIT_V1
"""What a sidecar or a data record that names no table was made with (all of them, before
the symmetric table)."""

# fmt: off
IBUG68_MIRROR: tuple[int, ...] = (
    16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
    26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
    27, 28, 29, 30, 35, 34, 33, 32, 31,
    45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,
    54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,
    64, 63, 62, 61, 60, 67, 66, 65,
)
# fmt: on
"""The iBUG point that mirrors each point across the face's vertical axis (36 <-> 45, ...)."""

REGIONS: dict[str, tuple[int, int]] = {
    "jaw": (0, 17),
    "brows": (17, 27),
    "nose": (27, 36),
    "eyes": (36, 48),
    "mouth": (48, 68),
}
"""Index ranges [start, stop) of each face region in the 68-point layout."""

RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 36, 45


def check_mapping(name: str) -> str:
    """`name` if this runtime knows that 478->68 table; ValueError otherwise."""
    if name not in MAPPINGS:
        raise ValueError(
            f"unknown landmark mapping {name!r} (this runtime knows {', '.join(sorted(MAPPINGS))})"
        )
    return name


def _mapping_matrix(table: tuple[tuple[int, ...], ...]) -> np.ndarray:
    matrix = np.zeros((68, 478), dtype=np.float32)
    for row, sources in enumerate(table):
        for source in sources:
            matrix[row, source] = 1.0 / len(sources)
    return matrix


_MATRICES = {name: _mapping_matrix(table) for name, table in MAPPINGS.items()}


def mediapipe_to_ibug68(mesh: np.ndarray, mapping: str = DEFAULT_MAPPING) -> np.ndarray:
    """Map (478, >=2) or (T, 478, >=2) mesh points to (68, 2) / (T, 68, 2) iBUG points with
    the named table (`MAPPINGS`)."""
    mesh = np.asarray(mesh, dtype=np.float32)
    if mesh.shape[-2] < 468:
        raise ValueError(f"expected 468 or 478 mesh points, got shape {mesh.shape}")
    xy = mesh[..., :468, :2] if mesh.shape[-2] == 468 else mesh[..., :, :2]
    matrix = _MATRICES[check_mapping(mapping)][:, : xy.shape[-2]]
    return matrix @ xy  # broadcasts over leading axes; ~20x faster than the einsum it replaced


def interocular_distance(points: np.ndarray) -> np.ndarray:
    """Distance between the outer eye corners of (..., 68, 2) points."""
    return np.linalg.norm(points[..., LEFT_EYE_OUTER, :] - points[..., RIGHT_EYE_OUTER, :], axis=-1)
