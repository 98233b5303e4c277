"""`gradeloop import inspect`: an Inspect AI dataset of Samples (JSON, JSONL or CSV) as a suite.

Fields are read as Inspect's `json_dataset` / `csv_dataset` read them with the default FieldSpec
(`input`, `target`, `choices`, `id`, `metadata`; other names with `--field input=question`).
The grader reproduces the Inspect scorer named by `--scorer`: `match` (default: the output,
stripped of surrounding whitespace and punctuation and case-folded, ends with a target), `includes`
(a target appears, case-folded), `exact` (equal after Inspect's token normalisation) or, for
samples with `choices`, `choice` (the input is Inspect's multiple-choice prompt, single- or
multiple-answer by the number of target letters, and the answer is parsed as its solver does).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal, Mapping

from gradeloop.errors import InputError
from gradeloop.importers.inspect_code import choice_source, exact_source, match_source
from gradeloop.importers.result import ImportResult, Issues, nothing_imported
from gradeloop.importers.source import read_csv_records, read_json_records, slug, unique_ids
from gradeloop.suite.model import Case, GraderSpec, Suite

Scorer = Literal["match", "includes", "exact", "choice"]
FIELDS = ("input", "target", "choices", "id", "metadata")
# Inspect's SINGLE_ANSWER_TEMPLATE (solver/_multiple_choice.py) and its "A) choice" lines.
MC_TEMPLATE = ("Answer the following multiple choice question. The entire content of your response should be of the "
               "following format: 'ANSWER: $LETTER' (without quotes) where LETTER is one of {letters}.\n\n"
               "{question}\n\n{choices}")
# ...and its MULTIPLE_ANSWER_TEMPLATE, used here when a sample's target names several letters.
MC_MULTIPLE_TEMPLATE = ("Answer the following multiple choice question where multiple answers may be correct. The "
                        "entire content of your response should be of the following format: 'ANSWER: $LETTERS' "
                        "(without quotes) where LETTERS is one or more of {letters}.\n\n{question}\n\n{choices}")


def target_letters(targets: list[str]) -> list[str]:
    """The choice letters a target names, as Inspect's choice scorer splits them ("A", "A,C", ["A", "C"])."""
    out: list[str] = []
    for value in targets:
        for token in value.replace(",", " ").split():
            out.extend([token] if token.isnumeric() else list(token))
    return out


def _grader(scorer: Scorer, targets: list[str], choices: list[str] | None) -> GraderSpec:
    if scorer == "choice":
        letters = target_letters(targets)
        if not choices or not letters or not all(re.fullmatch(r"[A-Z]", x) for x in letters):
            raise ValueError("the choice scorer needs `choices` and letter targets (A, B, ...)")
        if any(ord(x) - ord("A") >= len(choices) for x in letters):
            raise ValueError(f"target {', '.join(letters)} names a letter beyond the {len(choices)} choices")
        return GraderSpec("python", {"source": choice_source(targets, len(choices), len(letters) > 1),
                                     "name": "choice"})
    if scorer == "exact":
        return GraderSpec("python", {"source": exact_source(targets), "name": "exact"})
    if scorer == "includes":  # casefold both sides, like the keyword graders
        if any(t == "" for t in targets):
            raise ValueError("an empty target is included in every output")
        return GraderSpec("contains_any", {"values": targets, "name": "includes"})
    # match(location="end"): case-folded, stripped output ends with a target
    return GraderSpec("python", {"source": match_source(targets), "name": "match"})


def _as_input(value: Any) -> str | tuple[dict[str, str], ...] | None:
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, list) and value:
        messages = []
        for m in value:
            if not isinstance(m, Mapping) or not isinstance(m.get("role"), str):
                return None
            content = m.get("content")
            if isinstance(content, list):
                parts = [p.get("text") for p in content if isinstance(p, Mapping) and p.get("type") == "text"]
                if len(parts) != len(content):
                    return None
                content = "\n".join(str(p) for p in parts)
            if not isinstance(content, str):
                return None
            messages.append({"role": m["role"], "content": content})
        return tuple(messages)
    return None


def import_inspect_dataset(path: str | Path, *, scorer: Scorer | None = None, fields: Mapping[str, str] | None = None,
                           name: str | None = None, split: str = "dev") -> ImportResult:
    """Samples of an Inspect dataset file as cases with the grader of the chosen Inspect scorer."""
    p = Path(path)
    spec = {f: f for f in FIELDS}
    for key, column in (fields or {}).items():
        if key not in FIELDS:
            raise InputError(f"unknown sample field {key!r} (use {', '.join(FIELDS)})", field="--field")
        spec[key] = column
    ext = p.suffix.lower()
    if ext == ".csv":
        records: list[tuple[int, Any]] = list(read_csv_records(p))
    elif ext in (".jsonl", ".json"):
        records = read_json_records(p)
    else:
        raise InputError("an Inspect dataset must be .csv, .json or .jsonl", file=str(p))
    issues = Issues()
    file = str(p)
    cases: list[Case] = []
    for line, rec in records:
        if not isinstance(rec, Mapping):
            issues.error("each sample must be an object", file, line)
            continue
        case_input = _as_input(rec.get(spec["input"]))
        if case_input is None:
            issues.error(f"`{spec['input']}` must be a non-empty string or a list of chat messages", file, line)
            continue
        raw_target = rec.get(spec["target"])
        if raw_target is None or raw_target == "" or raw_target == []:
            issues.error(f"no `{spec['target']}`: a sample without a target grades nothing", file, line)
            continue
        targets = [str(t) for t in raw_target] if isinstance(raw_target, list) else [str(raw_target)]
        choices = rec.get(spec["choices"])
        if isinstance(choices, str) and ext == ".csv" and choices.strip().startswith("["):
            try:
                choices = json.loads(choices)
            except ValueError:
                pass
        if choices in ("", None):
            choices = None
        if choices is not None and not (isinstance(choices, list) and all(isinstance(c, str) for c in choices)):
            issues.error(f"`{spec['choices']}` must be a list of strings", file, line)
            continue
        use = scorer or ("choice" if choices else "match")
        if choices and use == "choice":
            if not isinstance(case_input, str):
                issues.error("multiple-choice samples need a text input", file, line)
                continue
            letters = [chr(ord("A") + i) for i in range(len(choices))]
            template = MC_MULTIPLE_TEMPLATE if len(target_letters(targets)) > 1 else MC_TEMPLATE
            case_input = template.format(letters=",".join(letters), question=case_input,
                                         choices="\n".join(f"{x}) {c}" for x, c in zip(letters, choices)))
        try:
            grader = _grader(use, targets, choices)
        except ValueError as exc:
            issues.error(str(exc), file, line)
            continue
        metadata: dict[str, Any] = {}
        meta = rec.get(spec["metadata"])
        if isinstance(meta, Mapping):
            metadata.update(meta)
        used = {spec[f] for f in FIELDS}
        metadata.update({k: v for k, v in rec.items() if k not in used and v not in ("", None)})
        if choices:
            metadata["choices"] = choices
        metadata["target"] = raw_target
        sample_id = rec.get(spec["id"])
        case_id = str(sample_id) if isinstance(sample_id, (str, int)) and str(sample_id).strip() else (
            f"sample-{len(cases) + 1}")
        cases.append(Case(id=case_id, input=case_input, reference=targets[0],
                          graders=(GraderSpec(grader.type, grader.params, file, line),), metadata=metadata))
    if not cases:
        raise nothing_imported("sample", issues, file)
    ids = unique_ids([c.id for c in cases])
    cases = [Case(id=i, input=c.input, reference=c.reference, graders=c.graders, metadata=c.metadata)
             for i, c in zip(ids, cases)]
    suite = Suite(name=name or slug(p.stem) or "inspect", cases=tuple(cases), split=split,  # type: ignore[arg-type]
                  description=f"Imported from Inspect dataset {p.name}")
    return ImportResult(suite, tuple(issues.items), source_files=(file,))
