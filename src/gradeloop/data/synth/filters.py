"""Filter synthetic rows: privacy, length bounds, JSON schema, then the suite graders.

Each filter records how many rows it removed, so the provenance says what the set lost and why.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

from gradeloop.data.privacy import identifier_kinds
from gradeloop.data.synth.generate import SynthRow
from gradeloop.data.synth.spec import FilterSpec
from gradeloop.graders.base import JudgeFactory
from gradeloop.suite.model import Case, Suite


def _field(row: SynthRow, name: str) -> str:
    if name == "prompt":
        return row.prompt
    if name == "response":
        return row.response if row.response is not None else row.prompt
    return row.text


def apply_filters(rows: Sequence[SynthRow], spec: FilterSpec, *, name: str, source: Path | None = None,
                  judge_factory: JudgeFactory | None = None) -> tuple[list[SynthRow], dict[str, Any]]:
    """The rows that pass every filter, and per filter how many it removed."""
    report: dict[str, Any] = {}
    kept = list(rows)
    if spec.privacy:
        kinds: Counter[str] = Counter()
        clean = []
        for row in kept:
            found = identifier_kinds(row.text)
            kinds.update(found)
            if not found:
                clean.append(row)
        report["privacy"] = {"removed": len(kept) - len(clean), "kinds": dict(sorted(kinds.items()))}
        kept = clean
    if spec.min_chars is not None or spec.max_chars is not None:
        low, high = spec.min_chars or 0, spec.max_chars if spec.max_chars is not None else float("inf")
        clean = [r for r in kept if low <= len(_field(r, spec.length_field)) <= high]
        report["length"] = {"removed": len(kept) - len(clean)}
        kept = clean
    if spec.schema is not None:
        import jsonschema

        validator = jsonschema.validators.validator_for(spec.schema)(spec.schema)
        clean = []
        for row in kept:
            try:
                value = json.loads(_field(row, "response"))
            except json.JSONDecodeError:
                continue
            if validator.is_valid(value):
                clean.append(row)
        report["schema"] = {"removed": len(kept) - len(clean)}
        kept = clean
    if spec.graders:
        kept, report["graders"] = _grade(kept, spec, name, source, judge_factory)
    return kept, report


def _grade(rows: list[SynthRow], spec: FilterSpec, name: str, source: Path | None,
           judge_factory: JudgeFactory | None) -> tuple[list[SynthRow], dict[str, int]]:
    """Keep rows every grader passes; a grader error drops the row and is counted apart."""
    from gradeloop.graders import build_graders, combine, safe_grade

    suite = Suite(name=name, cases=(), split="train", default_graders=spec.graders,
                  source=str(source) if source else None)
    kept, failed, errors = [], 0, 0
    for row in rows:
        case = Case(id=row.id, input=row.prompt, tags=dict(row.tags))
        graders = build_graders(suite, case, judge_factory=judge_factory)
        output = _field(row, "response")
        passed, _ = combine(graders, [safe_grade(g, case, output) for g in graders])
        if passed is None:
            errors += 1
        elif passed:
            kept.append(row)
        else:
            failed += 1
    return kept, {"removed": failed + errors, "failed": failed, "errors": errors}
