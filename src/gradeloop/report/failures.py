"""The "failing cases" section: which cases failed, the first grader reason, an output excerpt.

A table of rates says how much is wrong; this says what. It reads the run JSON when it has the
cases, else only the failing samples from the store (a 10,000-case run prints its tables from the
run summary and should not load every output to name twenty failures).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from gradeloop.tools.calls import shown_output

if TYPE_CHECKING:
    from gradeloop.run.store import Store

SHOWN = 10


@dataclass(frozen=True, slots=True)
class Failure:
    """One failing case: where, why (first reason of its first failing sample), and what it said."""

    suite: str
    case_id: str
    reason: str
    output: str | None
    failed_samples: int
    samples: int


def _reason(error: str | None, grades: Iterable[Mapping[str, Any]], passed: Any) -> str:
    if error:
        return f"error: {error}"
    for g in grades:
        if g.get("passed") is False:
            return f"{g.get('grader')}: {g.get('reason')}" if g.get("reason") else str(g.get("grader"))
    return "no grader judged this output" if passed is None else "failed"


def _group(rows: Iterable[tuple[str, str, int, str | None, str | None, list[Mapping[str, Any]], Any]]
           ) -> dict[tuple[str, str], list[tuple[str | None, str | None, list[Mapping[str, Any]], Any]]]:
    out: dict[tuple[str, str], list[tuple[str | None, str | None, list[Mapping[str, Any]], Any]]] = {}
    for suite, case_id, _index, output, error, grades, passed in rows:
        out.setdefault((suite, case_id), []).append((output, error, grades, passed))
    return out


def failures_from_run(run: Mapping[str, Any], limit: int = SHOWN) -> tuple[list[Failure], int]:
    """The first `limit` failing cases of a full run JSON, and how many cases failed in all."""
    found: list[Failure] = []
    total = 0
    for case in run.get("cases") or ():
        samples = case.get("samples") or []
        bad = [s for s in samples if s.get("passed") is not True]
        if not bad:
            continue
        total += 1
        if len(found) < limit:
            first = bad[0]
            found.append(Failure(case.get("suite", ""), case.get("id", ""),
                                 _reason(first.get("error"), first.get("grades") or (), first.get("passed")),
                                 shown_output(first.get("output"), first.get("tool_calls")), len(bad), len(samples)))
    return found, total


def failures_from_store(store: Store, run_id: str, limit: int = SHOWN) -> tuple[list[Failure], int]:
    """The same from the store, reading only failing samples' rows (outputs and grades of `limit` cases)."""
    db = store.db
    counts = {(s, c): (int(bad), int(n)) for s, c, bad, n in db.execute(
        "SELECT s.suite, s.case_id, SUM(CASE WHEN s.passed = 1 THEN 0 ELSE 1 END), COUNT(*) FROM samples s "
        "JOIN cases c ON c.run_id = s.run_id AND c.suite = s.suite AND c.case_id = s.case_id WHERE s.run_id=? "
        "GROUP BY s.suite, s.case_id HAVING SUM(CASE WHEN s.passed = 1 THEN 0 ELSE 1 END) > 0 "
        "ORDER BY s.suite, MIN(c.position)",
        (run_id,))}  # the run JSON's order: suite, then the case's position in its file
    keys = list(counts)[:limit]
    found: list[Failure] = []
    for suite, case_id in keys:
        row = db.execute("SELECT output, error, grades, passed, tool_calls FROM samples WHERE run_id=? AND suite=? "
                         "AND case_id=? AND (passed IS NULL OR passed <> 1) ORDER BY sample_index LIMIT 1",
                         (run_id, suite, case_id)).fetchone()
        output, error, grades, passed, calls = row
        parsed = json.loads(grades) if grades else []
        bad, n = counts[(suite, case_id)]
        found.append(Failure(suite, case_id, _reason(error, parsed, passed),
                             shown_output(output, json.loads(calls) if calls else None), bad, n))
    return found, len(counts)


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:max(1, width - 1)] + "…"


def render_failures(failures: list[Failure], total: int, console: Console, *, run_ref: str | None = None) -> None:
    """`failing cases (3 of 12)` then per case: suite/id, reason and output, each line within the width."""
    if not total:
        return
    width = max(40, console.width)
    more = f", first {len(failures)} shown" if total > len(failures) else ""
    console.print(Text(f"failing cases ({total}{more})", style="bold red"))
    if run_ref and total > len(failures):
        console.print(Text(f"  all of them: gradeloop show {run_ref} --json FILE", style="dim"), overflow="fold")
    for f in failures:
        counted = f" ({f.failed_samples}/{f.samples} samples)" if f.samples > 1 else ""
        console.print(Text(f"  {f.suite}/{f.case_id}{counted}", style="bold"), overflow="fold")
        console.print(Text("    " + _one_line(f.reason, width - 4)), highlight=False)
        if f.output is not None:
            console.print(Text("    output: " + _one_line(f.output or "(empty)",
                                                           width - 12), style="dim"), highlight=False)
