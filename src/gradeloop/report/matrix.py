"""Several targets side by side (`gradeloop eval -t A -t B`): one column per target, one row per suite and slice.

Each cell is that target's own pass rate with its interval; it is a view, not a comparison: for a
paired test of two targets on the same cases, use `gradeloop compare RUN_A RUN_B`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table


def _cell(est: Mapping[str, Any] | None) -> str:
    if not est or not est.get("n_cases"):
        return "–"
    return f"{est['mean']:.2f} [{est['ci_low']:.2f},{est['ci_high']:.2f}]"


def _verdict(run: Mapping[str, Any], suite: Mapping[str, Any]) -> str:
    verdict = suite.get("verdict") or ((suite.get("thresholds_result") or {}).get("verdict"))
    return {"fail": " ✗", "inconclusive": " ?"}.get(str(verdict), "")


def render_matrix(names: Sequence[str], runs: Sequence[Mapping[str, Any]], console: Console) -> None:
    """Pass rate [95% CI] per suite and slice (rows) for each target (columns); ✗ failed, ? inconclusive."""
    table = Table(title="targets side by side (pass rate [95% CI]; ✗ threshold failed, ? inconclusive)",
                  title_justify="left")
    table.add_column("suite / slice", overflow="fold")
    for name in names:
        table.add_column(name, justify="right", no_wrap=True, overflow="fold")
    suites: list[str] = []
    for run in runs:
        suites += [s["name"] for s in run.get("suites", []) if s["name"] not in suites]
    for suite in suites:
        row = [suite]
        for run in runs:
            entry = next((s for s in run.get("suites", []) if s["name"] == suite), None)
            row.append("–" if entry is None else _cell(entry["metrics"]["pass_rate"]) + _verdict(run, entry))
        table.add_row(*row)
    table.add_row("[bold]all[/bold]", *(_cell(r["metrics"]["pass_rate"]) for r in runs))
    slices: list[str] = []
    for run in runs:
        slices += [k for k in run.get("slices", {}) if not k.startswith("suite=") and k not in slices]
    for name in sorted(slices):
        table.add_row(name, *(_cell((r.get("slices", {}).get(name) or {}).get("pass_rate")) for r in runs))
    console.print(table)
