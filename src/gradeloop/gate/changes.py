"""The cases behind a verdict: which shared cases got worse or better, and by how much.

A slice's interval says whether the candidate regressed; a reviewer's next question is "on what?".
Per shared case, the mean of its valid samples in each run (the compared metric); a case whose
candidate samples all errored counts as worse when the baseline had a valid one. The largest
changes come first, so a PR comment can show the few that matter without the whole run.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

Key = tuple[str, str]
SNIPPET = 200


def changed_cases(b_cases: Mapping[Key, dict], c_cases: Mapping[Key, dict], shared: Sequence[Key],
                  values: Callable[[dict], list[float]], *, limit: int = 20) -> dict[str, Any]:
    """`regressed` / `improved` (at most `limit` each, largest change first) and their counts."""
    worse: list[dict[str, Any]] = []
    better: list[dict[str, Any]] = []
    for key in shared:
        base_values, cand_values = values(b_cases[key]), values(c_cases[key])
        if not base_values:
            continue  # nothing valid to compare against
        base = sum(base_values) / len(base_values)
        if not cand_values:  # every candidate sample errored
            worse.append(_entry(key, base, None, -max(base, 1e-9), c_cases[key]))
            continue
        cand = sum(cand_values) / len(cand_values)
        if cand < base:
            worse.append(_entry(key, base, cand, cand - base, c_cases[key]))
        elif cand > base:
            better.append(_entry(key, base, cand, cand - base, c_cases[key]))
    worse.sort(key=lambda e: (e["change"], e["case"]))
    better.sort(key=lambda e: (-e["change"], e["case"]))
    return {"n_regressed": len(worse), "n_improved": len(better), "regressed": worse[:limit],
            "improved": better[:limit]}


def _entry(key: Key, base: float, cand: float | None, change: float, case: dict) -> dict[str, Any]:
    entry: dict[str, Any] = {"case": f"{key[0]}/{key[1]}", "baseline": round(base, 6),
                             "candidate": None if cand is None else round(cand, 6), "change": round(change, 6)}
    sample = _telling_sample(case)
    if sample is not None:
        text = sample.get("error") if sample.get("error_kind") == "target" else sample.get("output")
        entry["output"] = None if text is None else str(text)[:SNIPPET]
        reason = next((g.get("error") or g.get("reason") for g in sample.get("grades", ())
                       if g.get("error") is not None or g.get("passed") is False), None)
        if reason:
            entry["reason"] = str(reason)[:SNIPPET]
    return entry


def _telling_sample(case: dict) -> dict | None:
    """The candidate sample that shows the change best: the first failing or errored one, else the first."""
    samples = case.get("samples") or []
    for s in samples:
        if s.get("passed") is False or s.get("error_kind") is not None:
            return s
    return samples[0] if samples else None
