"""Training hyper-parameters in one place; defaults follow the founding paper notes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from edge_runtime.errors import InputError

from .augment import AugmentOptions

if TYPE_CHECKING:
    from .windows import TargetOptions

ARCHITECTURES = ("bilstm", "pool")


@dataclass(frozen=True)
class TrainConfig:
    """Seed architecture (`arch="bilstm"`): (90, 136) -> Conv1D 64 -> Conv1D 128 -> BiLSTM 128 -> Dense softmax 7.

    The notes fix the architecture, label smoothing and Gaussian-noise augmentation; the
    other values (kernel 3, dropout 0.3, smoothing 0.1, noise 0.1 feature std, Adam 1e-3, batch
    32) are the usual choices for this model size and are ours.
    """

    # "bilstm": the founding notes' Conv1D + BiLSTM; "pool": the window's frames averaged
    # (a face's mean shape over the window) into a small MLP, which ignores how they move.
    arch: str = "bilstm"
    # Members of a seed ensemble (seeds seed .. seed + n - 1), averaged inside one model.
    ensemble: int = 1
    window: int = 90
    # Windows start every `hop` frames at inference (recorded in the metadata; `run` follows
    # it). 15 with 1 s windows: each second averages its own window and the two that half
    # overlap it.
    hop: int = 30
    fps: float = 30.0
    conv1_filters: int = 64
    conv2_filters: int = 128
    kernel_size: int = 3
    # conv2's temporal stride: 3 hands the BiLSTM 30 steps (10 per second) instead of 90,
    # a third of its work and of the steps over which full-int8 rounding accumulates.
    conv2_stride: int = 1
    lstm_units: int = 128
    pool_units: int = 128  # "pool": the hidden layer after the window's mean shape
    dropout: float = 0.3
    label_smoothing: float = 0.1
    noise_std: float = 0.1
    learning_rate: float = 1e-3
    batch_size: int = 32
    epochs: int = 40
    patience: int = 6
    crops_per_clip: int = 2
    clips_per_epoch: int = (
        0  # 0 = every training clip each epoch; else a random sample of this many
    )
    # Extra windows per epoch cut from the video clips (not stills), drawn in proportion to
    # their length: a few minutes of video would otherwise be a few dozen of ~30,000 clips.
    video_windows: int = 0
    # Teacher-labelled windows whose mean top probability is below this get no target.
    min_teacher_confidence: float = 0.0
    # A human-labelled clip that also has the teacher's view is taught (1 - this) x its label
    # + this x the teacher's probabilities (distillation; 0 = its label alone).
    teacher_mix: float = 0.0
    # > 0: teacher-labelled windows below min_teacher_confidence are taught (1 - this) x the
    # teacher's mean + this x neutral, at weight min_teacher_confidence, not left out
    unsure_neutral: float = 0.0
    eval_hop: int = 15
    seed: int = 42
    augment: AugmentOptions = field(default_factory=AugmentOptions)
    class_balance: float = 1.0  # sample weight (1 / class frequency) ** this; 0 = off
    select_on: str = "macro_f1"  # validation figure for early stopping: macro_f1 or accuracy
    # N > 0: the final weights are the mean of the last N epochs' weights (weight averaging,
    # as SWA), not the best epoch's; 0 keeps the best epoch on the validation figure.
    average_epochs: int = 0
    # Lay the training data's still-to-video neutral shape offset on every still (align.py).
    align_stills: bool = False

    def __post_init__(self) -> None:
        # Checked before training, not when the metadata is written minutes later.
        if self.arch not in ARCHITECTURES:
            raise InputError(f"arch {self.arch!r} must be one of {', '.join(ARCHITECTURES)}")
        if not 0.0 <= self.teacher_mix <= 1.0:
            raise InputError(f"teacher mix {self.teacher_mix} must be between 0 and 1")
        if not 0.0 <= self.unsure_neutral <= 1.0:
            raise InputError(f"unsure neutral {self.unsure_neutral} must be between 0 and 1")
        if self.ensemble < 1:
            raise InputError(f"ensemble {self.ensemble} must be at least 1")
        if self.average_epochs < 0:
            raise InputError(f"average epochs {self.average_epochs} must be 0 or more")
        if not 1 <= self.hop <= self.window:
            raise InputError(
                f"hop {self.hop} must be between 1 and the window ({self.window} frames)"
            )

    @property
    def targets(self) -> TargetOptions:
        """How training windows get their targets (windows.py)."""
        from .windows import TargetOptions

        return TargetOptions(self.min_teacher_confidence, self.teacher_mix, self.unsure_neutral)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """Read back `to_dict` (older sidecars lack the newer fields: defaults fill them)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if isinstance(known.get("augment"), dict):
            known["augment"] = AugmentOptions(**known["augment"])
        return cls(**known)
