"""Terminal tables of a run: per suite and per slice, every number with its interval."""
from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def fmt_estimate(e: dict[str, Any], pct: bool = True) -> str:
    """`0.83 [0.71, 0.91]` style: a number never travels without its interval."""
    if not e or e.get("n_cases", 0) == 0:
        return "–"
    return f"{e['mean']:.2f} [{e['ci_low']:.2f}, {e['ci_high']:.2f}]"


def render_run(run: dict[str, Any], console: Console, *, show_slices: bool = True) -> None:
    """Print the suite table, then the slice table, then threshold verdicts."""
    title = f"run {run['run_id']} · {run['target']['spec']} · {run['samples_per_case']} sample(s)/case"
    table = Table(title=title, title_justify="left")
    for col in ("suite", "split", "pass rate [95% CI]", "score [95% CI]", "cases", "samples", "errors"):
        table.add_column(col, justify="left" if col in ("suite", "split") else "right")
    for s in run["suites"]:
        m = s["metrics"]
        err = m["errors"]
        table.add_row(s["name"], s.get("split", ""), fmt_estimate(m["pass_rate"]), fmt_estimate(m["score"]),
                      str(m["pass_rate"]["n_cases"]), str(err["samples"]), _errors(err))
    m = run["metrics"]
    table.add_row("[bold]all[/bold]", "", fmt_estimate(m["pass_rate"]), fmt_estimate(m["score"]),
                  str(m["pass_rate"]["n_cases"]), str(m["errors"]["samples"]), _errors(m["errors"]))
    console.print(table)
    extra = [k for k in m if k.startswith("pass@") or k.startswith("pass^")]
    if extra:
        console.print("  " + "   ".join(f"{k} {fmt_estimate(m[k])}" for k in extra))
    if show_slices:
        tags = {k: v for k, v in run["slices"].items() if not k.startswith("suite=")}
        if tags:
            st = Table(title="slices", title_justify="left")
            for col in ("slice", "pass rate [95% CI]", "score [95% CI]", "cases"):
                st.add_column(col, justify="left" if col == "slice" else "right")
            for name, v in tags.items():
                st.add_row(name, fmt_estimate(v["pass_rate"]), fmt_estimate(v["score"]), str(v["pass_rate"]["n_cases"]))
            console.print(st)
    for s in run["suites"]:
        tr = s.get("thresholds_result")
        if tr:
            verdict = "[green]PASS[/green]" if tr["passed"] else "[red]FAIL[/red]"
            op = "≥" if tr["passed"] else "<"
            console.print(f"threshold {s['name']}: pass rate ({tr['on']}) {tr['value']:.3f} {op} {tr['min_pass_rate']} "
                          f"{verdict}")


def _errors(err: dict[str, int]) -> str:
    parts = []
    if err["target"]:
        parts.append(f"{err['target']} target")
    if err["grader"]:
        parts.append(f"{err['grader']} grader")
    return ", ".join(parts) or "0"
