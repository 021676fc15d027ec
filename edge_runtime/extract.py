"""`edge-emo extract`: video -> landmark CSV in the OpenFace/RAVDESS layout, one row per source frame.

Training on these CSVs means training on the very landmarks inference sees (MediaPipe,
mapped to iBUG-68), instead of OpenFace's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from edge_runtime.errors import InputError
from edge_runtime.face_landmarks import FaceLandmarker, FaceLandmarkerOptions
from edge_runtime.landmark_csv import LandmarkCsvWriter
from edge_runtime.sources.video import read_video

VIDEO_SUFFIXES = frozenset(
    {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"}
)


@dataclass(frozen=True)
class ExtractResult:
    source: str
    output: str
    frames: int
    face_frames: int
    duration_s: float


def extract_to_csv(
    video: str | os.PathLike,
    output: str | os.PathLike,
    options: FaceLandmarkerOptions | None = None,
) -> ExtractResult:
    """Write the landmark CSV of `video` to `output` (atomically; nothing is left on failure)."""
    video, output = Path(video), Path(output)
    frames = faces = 0
    last_t = 0.0
    with FaceLandmarker.create(options) as landmarker, LandmarkCsvWriter(output) as writer:
        for frame in read_video(video):
            observation = landmarker.detect(frame)
            points = None if observation is None else observation.ibug68
            # The Tasks API reports no per-face score; 1/0 mirrors OpenFace's success flag.
            writer.write(
                frame.index + 1, frame.timestamp_s, points, 1.0 if points is not None else 0.0
            )
            frames += 1
            faces += points is not None
            last_t = frame.timestamp_s
    return ExtractResult(str(video), str(output), frames, faces, last_t)


def find_videos(paths: list[Path]) -> list[Path]:
    """Expand folders (non-recursive, sorted) into the video files they hold."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            videos = sorted(
                p for p in path.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()
            )
            if not videos:
                raise InputError(
                    f"{path}: folder holds no video files ({', '.join(sorted(VIDEO_SUFFIXES))})"
                )
            found.extend(videos)
        else:
            found.append(path)
    return found
