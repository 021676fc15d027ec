"""Subject-independent splits: a subject's clips are never on both sides of a split."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SubjectSplit:
    train: list[str]
    val: list[str]
    test: list[str]

    def to_dict(self) -> dict:
        return {"train": self.train, "val": self.val, "test": self.test, "by": "subject"}


def holdout_split(
    subjects: Sequence[str], val: Sequence[str] | None = None, test: Sequence[str] | None = None
) -> SubjectSplit:
    """Default: test = every 5th subject from the 3rd, val = every 5th from the 5th, rest train.

    On RAVDESS's 24 actors that is test 03 08 13 18 23 and val 05 10 15 20: both mix
    odd (male) and even (female) actors, and about 60% of subjects remain for training.
    """
    ordered = list(subjects)
    if len(ordered) < 3:
        raise ValueError(
            f"need at least 3 subjects for a subject-independent split, got {len(ordered)}"
        )
    test = list(test) if test is not None else ordered[2::5]
    val = list(val) if val is not None else [s for s in ordered[4::5] if s not in test]
    unknown = sorted(set(test + val) - set(ordered))
    if unknown:
        raise ValueError(f"unknown subjects: {', '.join(unknown)}")
    if set(test) & set(val):
        raise ValueError("a subject cannot be in both validation and test")
    train = [s for s in ordered if s not in set(test) | set(val)]
    if not train or not val:
        raise ValueError("the split leaves no training or no validation subjects")
    return SubjectSplit(train, val, test)


def kfold_subjects(subjects: Sequence[str], k: int) -> list[list[str]]:
    """k disjoint groups of subjects (round-robin), each the test fold once."""
    ordered = list(subjects)
    if not 2 <= k <= len(ordered):
        raise ValueError(f"k must be between 2 and the number of subjects ({len(ordered)})")
    return [ordered[i::k] for i in range(k)]
