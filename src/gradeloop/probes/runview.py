"""Reading cases, verdicts and sample values out of a run JSON (schema gradeloop.run/v1).

Shared by the robustness, refusal-boundary and fairness reports so all three agree on what
a case's verdict is and which samples count: errored samples (passed is null, or an error
is recorded) are left out, never scored as a pass or a fail.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from gradeloop.errors import InputError

VERDICT_THRESHOLD = 0.5  # a case passes when at least half its valid samples pass


def cases(run: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The run's case list, checked to be a list of mappings with ids."""
    if not isinstance(run, Mapping) or not isinstance(run.get("cases"), list):
        raise InputError("not a run: expected a mapping with a `cases` list", field="cases")
    out = run["cases"]
    for i, case in enumerate(out):
        if not isinstance(case, Mapping) or not isinstance(case.get("id"), str):
            raise InputError("each case needs a string `id`", field=f"cases[{i}].id")
        if not isinstance(case.get("samples", []), list):
            raise InputError("`samples` must be a list", field=f"cases[{i}].samples")
    return out


def key(case: Mapping[str, Any]) -> tuple[str, str]:
    """Cases are unique by (suite, id) in a run that holds several suites."""
    return (str(case.get("suite") or ""), case["id"])


def valid_samples(case: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Samples that were generated and graded without an infrastructure or grader error."""
    for s in case.get("samples") or []:
        if isinstance(s, Mapping) and s.get("passed") is not None and not s.get("error") \
                and not s.get("error_kind"):
            yield s


def pass_values(case: Mapping[str, Any]) -> list[float]:
    """1.0 / 0.0 per valid sample, for stats.estimate."""
    return [1.0 if s["passed"] else 0.0 for s in valid_samples(case)]


def pass_rate(case: Mapping[str, Any]) -> float | None:
    """The case's pass rate as recorded, else from its valid samples; None when nothing is valid."""
    rate = case.get("pass_rate")
    if isinstance(rate, (int, float)) and not isinstance(rate, bool):
        return float(rate)
    values = pass_values(case)
    return sum(values) / len(values) if values else None


def verdict(case: Mapping[str, Any]) -> bool | None:
    """Pass when pass_rate >= 0.5 (with one sample: the sample's pass/fail); None when unknown."""
    rate = pass_rate(case)
    return None if rate is None else rate >= VERDICT_THRESHOLD


def tag(case: Mapping[str, Any], name: str) -> str | None:
    tags = case.get("tags") or {}
    value = tags.get(name) if isinstance(tags, Mapping) else None
    return None if value is None else str(value)


def fmt_estimate(est: Any) -> str:
    """`0.300 [0.108, 0.603] n=10` — a number always shown with its interval."""
    if est is None:
        return "-"
    return f"{est.mean:.3f} [{est.ci_low:.3f}, {est.ci_high:.3f}] n={est.n_cases}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain fixed-width text table (the CLI prints it; no terminal codes)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
