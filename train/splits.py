"""Subject-independent splits: a subject's clips are never on both sides of a split."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

PATTERN_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class SubjectSplit:
    train: list[str]
    val: list[str]
    test: list[str]
    patterns: dict | None = None  # the val/test patterns it came from, if any

    def to_dict(self) -> dict:
        """Subject lists, or (for a split given by patterns) the patterns and counts."""
        if self.patterns:
            return {
                "by": "subject",
                "val_patterns": self.patterns["val"],
                "test_patterns": self.patterns["test"],
                "counts": {"train": len(self.train), "val": len(self.val), "test": len(self.test)},
            }
        return {"train": self.train, "val": self.val, "test": self.test, "by": "subject"}


def split_from_record(record: dict, subjects: Sequence[str]) -> SubjectSplit:
    """The split a model's metadata records, resolved against the subjects of a data set."""
    if "val_patterns" in record:
        return holdout_split(subjects, record["val_patterns"], record.get("test_patterns") or [])
    return SubjectSplit(
        list(record.get("train") or subjects),
        list(record.get("val") or []),
        list(record.get("test") or []),
    )


def describe_subjects(subjects: Sequence[str], most: int = 12) -> str:
    """Subjects for a log line: all of them, or the first few and a count."""
    subjects = list(subjects)
    if len(subjects) <= most:
        return " ".join(subjects)
    return f"{' '.join(subjects[:most])} ... ({len(subjects)} subjects)"


def expand_subjects(entries: Sequence[str], subjects: Sequence[str]) -> list[str]:
    """Names as given, with shell-style patterns (fer-PublicTest-*) replaced by the subjects they match."""
    out: list[str] = []
    for entry in entries:
        if PATTERN_CHARS & set(entry):
            out.extend(s for s in subjects if fnmatch.fnmatchcase(s, entry))
        else:
            out.append(entry)
    return list(dict.fromkeys(out))


def holdout_split(
    subjects: Sequence[str], val: Sequence[str] | None = None, test: Sequence[str] | None = None
) -> SubjectSplit:
    """Default: test = every 5th subject from the 3rd, val = every 5th from the 5th, rest train.

    On RAVDESS's 24 actors that is test 03 08 13 18 23 and val 05 10 15 20: both mix
    odd (male) and even (female) actors, and about 60% of subjects remain for training.
    `val` and `test` may hold shell-style patterns (`fer-PublicTest-*`).
    """
    ordered = list(subjects)
    patterns = None
    if any(PATTERN_CHARS & set(e) for e in [*(val or []), *(test or [])]):
        patterns = {"val": list(val or []), "test": list(test or [])}
        val = expand_subjects(val or [], ordered) if val is not None else None
        test = expand_subjects(test or [], ordered) if test is not None else None
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
    held = set(test) | set(val)
    train = [s for s in ordered if s not in held]
    if not train or not val:
        raise ValueError("the split leaves no training or no validation subjects")
    return SubjectSplit(train, val, test, patterns)


def kfold_subjects(subjects: Sequence[str], k: int) -> list[list[str]]:
    """k disjoint groups of subjects (round-robin), each the test fold once."""
    ordered = list(subjects)
    if not 2 <= k <= len(ordered):
        raise ValueError(f"k must be between 2 and the number of subjects ({len(ordered)})")
    return [ordered[i::k] for i in range(k)]
