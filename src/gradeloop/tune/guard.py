"""Refuse training data that leaks evaluation data, before any training starts.

Three checks, in order: no training suite is holdout data (the data package's
`assert_trainable`, which also knows suites sealed in the registry); no training case repeats an
evaluation case exactly (after normalisation); no near-duplicate or 13-gram overlap (the data
package's contamination scan). Only the last may be overridden, and the override is recorded.
"""
from __future__ import annotations

from typing import Any, Sequence

from gradeloop.data import assert_trainable
from gradeloop.data.contam import Hit, check_contamination
from gradeloop.data.readers import TrainDoc
from gradeloop.data.text import case_text, normalize
from gradeloop.errors import InputError
from gradeloop.suite import Suite


def check_training_data(train: Sequence[Suite], evaluation: Sequence[Suite], *, allow: bool = False) -> dict | None:
    """Raise InputError on a leak; returns the recorded override (or None when clean)."""
    assert_trainable(list(train), "tuning")
    seen = {normalize(case_text(c)): (s, c) for s in evaluation for c in s.cases}
    for s in train:
        for c in s.cases:
            hit = seen.get(normalize(case_text(c)))
            if hit is not None:
                es, ec = hit
                raise InputError(f"training case {c.id!r} repeats evaluation case {es.name}/{ec.id} "
                                 f"({es.split} split); remove it from training", file=c.file or s.source,
                                 line=c.line, field="input")
    docs = [TrainDoc(c.file or s.source or s.name, c.line or 0, case_text(c)) for s in train for c in s.cases]
    hits = check_contamination([docs], list(evaluation), workers=1)
    if not hits:
        return None
    if not allow:
        h = hits[0]
        raise InputError(f"training text near-duplicates evaluation case {h.suite}/{h.case_id} "
                         f"({h.kind}, {h.measure} {h.score:.2f}; {len(hits)} hit(s)); remove it or set "
                         "allow_contaminated: true (recorded in the lineage)", file=h.train_file, line=h.train_line)
    return {"allowed": True, "hits": [_brief(h) for h in hits]}


def _brief(h: Hit) -> dict[str, Any]:
    return {"kind": h.kind, "score": round(h.score, 3), "train": f"{h.train_file}:{h.train_line}",
            "eval": f"{h.suite}/{h.case_id}"}
