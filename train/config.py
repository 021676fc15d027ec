"""Training hyper-parameters in one place; defaults follow the founding paper notes."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class TrainConfig:
    """Seed architecture: (90, 136) -> Conv1D 64 -> Conv1D 128 -> BiLSTM 128 -> Dense softmax 7.

    The notes fix the architecture, label smoothing and Gaussian-noise augmentation; the
    other values (kernel 3, dropout 0.3, smoothing 0.1, noise 0.1 feature std, Adam 1e-3, batch
    32) are the usual choices for this model size and are ours.
    """

    window: int = 90
    fps: float = 30.0
    conv1_filters: int = 64
    conv2_filters: int = 128
    kernel_size: int = 3
    lstm_units: int = 128
    dropout: float = 0.3
    label_smoothing: float = 0.1
    noise_std: float = 0.1
    learning_rate: float = 1e-3
    batch_size: int = 32
    epochs: int = 40
    patience: int = 6
    crops_per_clip: int = 2
    eval_hop: int = 15
    seed: int = 42

    def to_dict(self) -> dict:
        return asdict(self)
