"""Runs that are not whole: unfinished, empty, short of samples or missing cases.

`compare` and `gate` refuse them (exit 2) unless the user passes `--allow-partial`: a killed run
compared as if it were complete would pass on the little it holds.
"""
from __future__ import annotations

from typing import Any

from gradeloop.errors import InputError


class PartialRunError(InputError):
    """A run is not complete enough to judge (exit 2 unless --allow-partial)."""


def partial_reasons(run: dict[str, Any], *, reference: dict[str, Any] | None = None) -> list[str]:
    """Why `run` is not a whole run (empty list when it is); `reference` names cases it must hold."""
    reasons: list[str] = []
    status = run.get("status")
    if status != "done":
        reasons.append(f"unfinished (status {status or 'missing'})")
    cases = run.get("cases")
    if not cases:
        reasons.append("empty (no cases)")
        cases = []
    planned = max(int(run.get("samples_per_case") or 1), 1)
    short = [c for c in cases if len(c.get("samples", ())) < planned]
    if short:
        got = sum(len(c.get("samples", ())) for c in cases)
        reasons.append(f"{len(short)} of {len(cases)} cases have fewer samples than the {planned} planned "
                       f"({got} of {planned * len(cases)} samples recorded)")
    if reference is not None and cases:
        have = {(c["suite"], c["id"]) for c in cases}
        missing = [f"{c['suite']}/{c['id']}" for c in reference.get("cases", ()) if (c["suite"], c["id"]) not in have]
        if missing:
            reasons.append(f"{len(missing)} baseline case(s) missing: {', '.join(missing[:5])}"
                           + (" …" if len(missing) > 5 else ""))
    return reasons


def require_whole(baseline: dict[str, Any], candidate: dict[str, Any]) -> None:
    """Raise PartialRunError naming the first run that is not whole and why."""
    for role, run, ref in (("baseline", baseline, None), ("candidate", candidate, baseline)):
        reasons = partial_reasons(run, reference=ref)
        if reasons:
            raise PartialRunError(f"{role} run {run.get('run_id', '?')} is partial: {'; '.join(reasons)} "
                                  "(use --allow-partial to judge it anyway; missing data then counts as errors)",
                                  field=role)
