"""Head yaw and pitch removed from 2-D landmarks with a 3-D mean face ("frontalisation").

A turned or tilted head foreshortens the face: the far eye comes closer to the nose, the
mouth slides sideways, and 2-D points alone cannot tell that from an expression. Each frame
gets the scaled-orthographic pose of a 3-D mean face fitted to its rigid points (eye
corners, nose bridge and tip, nostril wings), and each point becomes the mean face's frontal
point plus what the posed mean face does not explain (identity and expression), divided by
the fitted scale. `POSE_METHOD` names this exact recipe in a model's metadata.

The mean face is MediaPipe's canonical face mesh (the geometry metadata inside
`face_landmarker.task`, Apache-2.0) mapped to the 68 iBUG points by the model's 478->68
table (one mean face per table, `MEAN_FACES`), with image axes (y down, z away from the
camera), centred on the normalisation's centre points and scaled to one inter-ocular
distance. `tests/test_pose.py` rebuilds each from the bundled file and checks it against
these numbers.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.features.landmarks import DEFAULT_MAPPING, DLIB_FIT_V1, SYMMETRIC_V2

POSE_METHOD = "canonical-face-v1"
"""The one frontalisation this runtime knows: a model's sidecar names it (or none)."""

RIGID_POINTS = (27, 28, 29, 30, 31, 35, 36, 39, 42, 45)
"""Points the pose is fitted to: nose bridge and tip, nostril wings, eye corners."""

SCALE_RANGE = (0.5, 2.0)
"""Bounds of the fitted scale: inputs are already in inter-ocular distances, so a face turned
60 degrees is a scale of 2; a frame outside is a tracker glitch and is not blown up."""

# fmt: off
MEAN_FACE_68 = np.array([
    (-0.8708, 0.0212, 0.6993), (-0.8619, 0.2115, 0.7478), (-0.7821, 0.5616, 0.4886), (-0.7404, 0.7304, 0.4659),
    (-0.6626, 0.9322, 0.4574), (-0.5719, 1.0945, 0.3934), (-0.3611, 1.2469, 0.1587), (-0.2037, 1.2777, 0.0064),
    (0.0000, 1.3447, -0.0058), (0.2037, 1.2777, 0.0064), (0.3611, 1.2469, 0.1587), (0.5719, 1.0945, 0.3934),
    (0.6626, 0.9322, 0.4574), (0.7404, 0.7304, 0.4659), (0.7821, 0.5616, 0.4886), (0.8619, 0.2115, 0.7478),
    (0.8708, 0.0212, 0.6993), (-0.6171, -0.1703, 0.1255), (-0.5607, -0.2529, 0.0518), (-0.4342, -0.2537, -0.0332),
    (-0.3104, -0.2865, -0.0903), (-0.1471, -0.2276, -0.1122), (0.1471, -0.2276, -0.1122), (0.3104, -0.2865, -0.0903),
    (0.4342, -0.2537, -0.0332), (0.5607, -0.2529, 0.0518), (0.6171, -0.1703, 0.1255), (0.0000, -0.0807, -0.1151),
    (0.0000, 0.0928, -0.2366), (0.0000, 0.1797, -0.2722), (0.0000, 0.3393, -0.3794), (-0.1282, 0.4587, -0.1528),
    (-0.0672, 0.5136, -0.1860), (0.0000, 0.5221, -0.2075), (0.0672, 0.5136, -0.1860), (0.1282, 0.4587, -0.1528),
    (-0.5000, -0.0124, 0.1169), (-0.3850, -0.0441, 0.0464), (-0.3064, -0.0459, 0.0384), (-0.2247, 0.0064, 0.0589),
    (-0.3064, 0.0267, 0.0490), (-0.4128, 0.0217, 0.0650), (0.2247, 0.0064, 0.0589), (0.3064, -0.0459, 0.0384),
    (0.3850, -0.0441, 0.0464), (0.5000, -0.0124, 0.1169), (0.4128, 0.0217, 0.0650), (0.3064, 0.0267, 0.0490),
    (-0.2762, 0.7756, -0.0080), (-0.1779, 0.7063, -0.1164), (-0.0800, 0.6616, -0.1871), (0.0000, 0.6703, -0.1987),
    (0.0800, 0.6616, -0.1871), (0.1779, 0.7063, -0.1164), (0.2762, 0.7756, -0.0080), (0.1779, 0.8458, -0.0901),
    (0.0787, 0.8823, -0.1389), (0.0000, 0.8906, -0.1487), (-0.0787, 0.8823, -0.1389), (-0.1779, 0.8458, -0.0901),
    (-0.2255, 0.7742, -0.0296), (-0.0600, 0.7363, -0.1041), (0.0000, 0.7364, -0.1132), (0.0600, 0.7363, -0.1041),
    (0.2255, 0.7742, -0.0296), (0.0656, 0.7953, -0.1267), (0.0000, 0.7980, -0.1340), (-0.0656, 0.7953, -0.1267),
])
# fmt: on
"""(68, 3) mean face under the symmetric table, in inter-ocular distances: x right, y down,
z away from the camera."""

# fmt: off
MEAN_FACE_68_V1 = np.array([
    (-0.8772, 0.0287, 0.7050), (-0.8682, 0.2210, 0.7539), (-0.7875, 0.5750, 0.4919), (-0.7453, 0.7457, 0.4690),
    (-0.6667, 0.9497, 0.4603), (-0.5750, 1.1137, 0.3957), (-0.4107, 1.2370, 0.2083), (-0.2028, 1.2989, 0.0045),
    (0.0031, 1.3667, -0.0079), (0.2079, 1.3362, 0.0391), (0.3682, 1.2678, 0.1584), (0.5813, 1.1137, 0.3957),
    (0.6730, 0.9497, 0.4603), (0.7516, 0.7457, 0.4690), (0.7863, 0.4677, 0.5206), (0.8745, 0.2210, 0.7539),
    (0.8835, 0.0287, 0.7050), (-0.7113, -0.1525, 0.2749), (-0.5637, -0.2485, 0.0504), (-0.4501, -0.2834, -0.0308),
    (-0.3107, -0.2824, -0.0933), (-0.1456, -0.2228, -0.1155), (0.1519, -0.2228, -0.1155), (0.3170, -0.2824, -0.0933),
    (0.4564, -0.2834, -0.0308), (0.5474, -0.2200, 0.0335), (0.6768, -0.1375, 0.2002), (0.0031, -0.0743, -0.1183),
    (0.0031, 0.0587, -0.2112), (0.0031, 0.2165, -0.3199), (0.0031, 0.3502, -0.3856), (-0.1374, 0.4778, -0.1461),
    (-0.0722, 0.5044, -0.1897), (-0.0107, 0.5241, -0.2623), (0.0608, 0.4954, -0.2230), (0.1218, 0.4641, -0.1668),
    (-0.5023, -0.0053, 0.1162), (-0.4141, -0.0353, 0.0535), (-0.3066, -0.0392, 0.0368), (-0.2241, 0.0137, 0.0575),
    (-0.3066, 0.0343, 0.0475), (-0.4141, 0.0292, 0.0637), (0.2225, 0.0077, 0.0457), (0.3128, -0.0392, 0.0368),
    (0.3924, -0.0374, 0.0449), (0.4977, -0.0004, 0.1101), (0.4204, 0.0292, 0.0637), (0.3128, 0.0343, 0.0475),
    (-0.2936, 0.7802, -0.0148), (-0.1871, 0.7128, -0.1213), (-0.0778, 0.6761, -0.1912), (0.0031, 0.7019, -0.1963),
    (0.0818, 0.6965, -0.1833), (0.1563, 0.7119, -0.1435), (0.2671, 0.7898, -0.0072), (0.1768, 0.8504, -0.0949),
    (0.0827, 0.8992, -0.1425), (0.0031, 0.9075, -0.1524), (-0.0764, 0.8992, -0.1425), (-0.1767, 0.8624, -0.0931),
    (-0.2399, 0.7815, -0.0170), (-0.0575, 0.7516, -0.1072), (0.0031, 0.7517, -0.1165), (0.0638, 0.7516, -0.1072),
    (0.2239, 0.7862, -0.0306), (0.0694, 0.8112, -0.1301), (0.0031, 0.8140, -0.1375), (-0.0925, 0.8079, -0.1177),
])
# fmt: on
"""The same under the first table (`dlib-fit-v1`)."""

MEAN_FACES = {SYMMETRIC_V2: MEAN_FACE_68, DLIB_FIT_V1: MEAN_FACE_68_V1}
"""The mean face of each 478->68 table, by its name."""


def _rigid_fit(face: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rigid = face[list(RIGID_POINTS)]
    return rigid.mean(axis=0), np.linalg.pinv(rigid - rigid.mean(axis=0))  # (3, K) least squares


_RIGID_FITS = {name: _rigid_fit(face) for name, face in MEAN_FACES.items()}


def fit_pose(
    points: np.ndarray, mapping: str = DEFAULT_MAPPING
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scaled-orthographic pose of the mean face in each frame of (T, 68, 2) points.

    Returns (rotation (T, 2, 3) with orthonormal rows, scale (T,), translation (T, 2)):
    the mean face's point X lands at translation + scale * rotation @ (X - rigid centre).
    """
    pinv = _RIGID_FITS[mapping][1]
    rigid = points[:, RIGID_POINTS, :]
    translation = rigid.mean(axis=1)
    camera = np.swapaxes(pinv @ (rigid - translation[:, None, :]), 1, 2)  # (T, 2, 3)
    u, singular, vt = np.linalg.svd(camera, full_matrices=False)
    scale = np.clip(singular.mean(axis=-1), *SCALE_RANGE)
    return u @ vt, scale, translation


def frontalise(points: np.ndarray, mapping: str = DEFAULT_MAPPING) -> np.ndarray:
    """(T, 68, 2) roll-levelled points in inter-ocular distances -> the same face seen from the
    front; `mapping` names the 478->68 table the points were made with."""
    points = np.asarray(points, dtype=np.float64)
    face, centre = MEAN_FACES[mapping], _RIGID_FITS[mapping][0]
    rotation, scale, translation = fit_pose(points, mapping)
    posed = translation[:, None, :] + scale[:, None, None] * np.einsum(
        "tij,kj->tki", rotation, face - centre
    )
    return face[None, :, :2] + (points - posed) / scale[:, None, None]
