"""Faces drawn on a frame (box, 68 points, the person's id): the `serve` page's JPEG and the
`--show` window draw the same way."""

from __future__ import annotations

import numpy as np

from edge_runtime.face_landmarks import FaceObservation
from edge_runtime.sources.video import load_cv2


def draw_faces(
    image: np.ndarray, faces: list[tuple[int | None, FaceObservation]], width: int, tracks: bool
) -> np.ndarray:
    """`image` scaled to at most `width` pixels wide, with each face's box and 68 points drawn;
    with `tracks`, each box is labelled with its person's id ("?" until it is confirmed)."""
    cv2 = load_cv2()
    scale = min(1.0, width / image.shape[1])
    if scale < 1.0:
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    else:
        image = image.copy()
    for track, observation in faces:
        mesh = observation.mesh[:, :2] * scale
        (x0, y0), (x1, y1) = mesh.min(axis=0).astype(int), mesh.max(axis=0).astype(int)
        cv2.rectangle(image, (int(x0), int(y0)), (int(x1), int(y1)), (80, 200, 255), 2)
        for x, y in (observation.ibug68 * scale).astype(int):
            cv2.circle(image, (int(x), int(y)), 2, (90, 230, 120), -1)
        if tracks:
            text = f"face {track}" if track is not None else "face ?"
            origin = (int(x0), max(int(y0) - 6, 14))
            cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 3)
            cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.55, (80, 200, 255), 1)
    return image
