"""Derive a mutated suite: every parent case plus its variants, so one run measures both.

A variant's id is `PARENT~OP~N`, its `parent` field names the parent, it keeps the parent's
reference, expect, graders, split and tags, and adds the tag `mutation: <op>` (parents get
`mutation: none`). Variant N of operator OP on case C draws from
`random.Random(f"{seed}:{C}:{OP}:{N}")`: the same seed gives the same suite, and adding or
removing other cases changes nothing. A variant identical to its parent or to an earlier
variant is redrawn (`...:{N}:retry{k}`) a few times and left out if it stays identical.
"""
from __future__ import annotations

import random
from dataclasses import replace
from typing import Any, Mapping, Sequence

from gradeloop.errors import InputError
from gradeloop.probes.mutations import OPERATORS, mask, source_tags
from gradeloop.suite.model import Case, CaseInput, Suite
from gradeloop.suite import suite_version

_RETRIES = 4


def parse_ops(ops: Sequence[str] | str) -> tuple[str, ...]:
    """Operator names from a list or a comma-separated string, checked against OPERATORS."""
    names = ops.split(",") if isinstance(ops, str) else list(ops)
    out: list[str] = []
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        if name not in OPERATORS:
            raise InputError(f"unknown mutation operator {name!r}; known: {', '.join(OPERATORS)}", field="ops")
        if name not in out:
            out.append(name)
    if not out:
        raise InputError(f"no mutation operators given; known: {', '.join(OPERATORS)}", field="ops")
    return tuple(out)


def _text_slot(case: Case, op: str = "") -> tuple[str, Any]:
    """The text to mutate and where it sits: the whole input, or the last user message of a chat
    (for `tool_injection`, the last tool result when the transcript has one: indirect injection)."""
    if isinstance(case.input, str):
        return case.input, None
    messages = list(case.input)
    tools = [i for i, m in enumerate(messages) if m.get("role") == "tool" and isinstance(m.get("content"), str)]
    if op == "tool_injection" and tools:
        return messages[tools[-1]]["content"], (tools[-1], None)
    users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
    idx = users[-1] if users else len(messages) - 1
    content = messages[idx].get("content")
    if isinstance(content, str):
        return content, (idx, None)
    if isinstance(content, list):  # multimodal parts: the last text part
        parts = [j for j, p in enumerate(content) if isinstance(p, Mapping) and isinstance(p.get("text"), str)]
        if parts:
            return content[parts[-1]]["text"], (idx, parts[-1])
    raise InputError("cannot mutate this input: its last user message has no text",
                     file=case.file, line=case.line, field=f"input[{idx}].content")


def _put_text(case: Case, slot: Any, text: str) -> CaseInput:
    if slot is None:
        return text
    idx, part = slot
    messages = [dict(m) for m in case.input]  # type: ignore[union-attr]
    if part is None:
        messages[idx]["content"] = text
    else:
        parts = [dict(p) if isinstance(p, Mapping) else p for p in messages[idx]["content"]]
        parts[part]["text"] = text
        messages[idx]["content"] = parts
    return tuple(messages)


def _variant(case: Case, op: str, n: int, seed: int, seen: set[str]) -> Case | None:
    text, slot = _text_slot(case, op)
    masked = mask(text, case.reference)
    for attempt in range(_RETRIES + 1):
        key = f"{seed}:{case.id}:{op}:{n}" + (f":retry{attempt}" if attempt else "")
        result = OPERATORS[op](masked.text, random.Random(key), n)
        new = masked.unmask(result.text)
        if new not in seen:
            seen.add(new)
            return replace(
                case,
                id=f"{case.id}~{op}~{n}",
                input=_put_text(case, slot, new),
                tags={**case.tags, **result.tags, "mutation": op},
                parent=case.id,
                metadata={**case.metadata, "mutation_detail": result.detail},
            )
    return None


def mutate(suite: Suite, ops: Sequence[str] | str, variants: int, seed: int, *, name: str | None = None) -> Suite:
    """The suite with each case followed by up to `variants` variants per operator in `ops`.

    Cases that already have a parent (a suite mutated before) are carried over unchanged.
    """
    op_names = parse_ops(ops)
    if isinstance(variants, bool) or not isinstance(variants, int) or variants < 1:
        raise InputError(f"variants must be a whole number >= 1, got {variants!r}", field="variants")
    taken = {c.id for c in suite.cases}
    cases: list[Case] = []
    for case in suite.cases:
        if case.parent is not None:
            cases.append(case)
            continue
        text, _ = _text_slot(case)
        extra = source_tags(text) if "swap" in op_names else {}
        cases.append(replace(case, tags={**case.tags, **extra, "mutation": "none"}))
        for op in op_names:
            seen = {text}
            for n in range(1, variants + 1):
                variant = _variant(case, op, n, seed, seen)
                if variant is None:
                    continue
                if variant.id in taken:
                    raise InputError(f"variant id {variant.id!r} is already a case id in the suite",
                                     file=case.file, line=case.line, field="id")
                cases.append(variant)
    derived = replace(suite, name=name or f"{suite.name}-mutated", cases=tuple(cases), source=None,
                      description=(suite.description + " " if suite.description else "")
                      + f"(mutated: {','.join(op_names)} x{variants}, seed {seed})")
    return replace(derived, version=suite_version(derived))
