"""Select suites by split (dev, holdout, canary, train)."""
from __future__ import annotations

from typing import Iterable

from gradeloop.suite.build import check_split
from gradeloop.suite.model import Suite


def filter_split(suites: Iterable[Suite], split: str) -> list[Suite]:
    """The suites whose split is `split`, in order; an unknown split name is an InputError."""
    check_split(split, None, None)
    return [s for s in suites if s.split == split]
