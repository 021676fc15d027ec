"""edge-emo's edge runtime: landmarks -> windows -> LiteRT classifier -> per-second emotion timeline.

Importing this package loads neither TensorFlow nor MediaPipe; stages import their
heavy dependencies when they are created.
"""

from edge_runtime.labels import LABELS, NUM_CLASSES

__version__ = "0.1.0"
__all__ = ["LABELS", "NUM_CLASSES", "__version__"]
