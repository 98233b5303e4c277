"""Terminal tables of a run: per suite and per slice, every number with its interval."""
from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def fmt_estimate(e: dict[str, Any], pct: bool = True) -> str:
    """`0.83 [0.71, 0.91]` style: a number never travels without its interval."""
    if not e or e.get("n_cases", 0) == 0:  # also None: an estimate that could not be made
        return "–"
    return f"{e['mean']:.2f} [{e['ci_low']:.2f}, {e['ci_high']:.2f}]"


def render_run(run: dict[str, Any], console: Console, *, show_slices: bool = True) -> None:
    """Print the suite table, then the slice table, then threshold verdicts."""
    title = f"run {run['run_id']} · {run['target']['spec']} · {run['samples_per_case']} sample(s)/case"
    table = Table(title=title, title_justify="left")
    for col in ("suite", "split", "pass rate [95% CI]", "score [95% CI]", "cases", "samples", "errors", "error rate"):
        table.add_column(col, justify="left" if col in ("suite", "split") else "right")
    for s in run["suites"]:
        m = s["metrics"]
        err = m["errors"]
        table.add_row(s["name"], s.get("split", ""), fmt_estimate(m["pass_rate"]), fmt_estimate(m["score"]),
                      str(m["pass_rate"]["n_cases"]), str(err["samples"]), _errors(err), _rate(err))
    m = run["metrics"]
    table.add_row("[bold]all[/bold]", "", fmt_estimate(m["pass_rate"]), fmt_estimate(m["score"]),
                  str(m["pass_rate"]["n_cases"]), str(m["errors"]["samples"]), _errors(m["errors"]), _rate(m["errors"]))
    console.print(table)
    extra = [k for k in m if k.startswith("pass@") or k.startswith("pass^")]
    if extra:
        console.print("  " + "   ".join(f"{k} {fmt_estimate(m[k])}" for k in extra))
    if show_slices:
        tags = {k: v for k, v in run["slices"].items() if not k.startswith("suite=")}
        if tags:
            st = Table(title="slices", title_justify="left")
            for col in ("slice", "pass rate [95% CI]", "score [95% CI]", "cases", "error rate"):
                st.add_column(col, justify="left" if col == "slice" else "right")
            for name, v in tags.items():
                st.add_row(name, fmt_estimate(v["pass_rate"]), fmt_estimate(v["score"]), str(v["pass_rate"]["n_cases"]),
                           _rate(v.get("errors")))
            console.print(st)
    if run.get("robustness"):
        render_robustness(run["robustness"], console)
    for s in run["suites"]:
        tr = s.get("thresholds_result")
        if tr:
            verdict = tr.get("verdict") or ("pass" if tr["passed"] else "fail")
            op = "<" if tr["value"] < tr["min_pass_rate"] else "≥"
            line = (f"threshold {s['name']}: pass rate ({tr['on']}) {tr['value']:.3f} {op} {tr['min_pass_rate']} "
                    f"{_VERDICT[verdict]}")
            if tr.get("reason"):
                line += f": {tr['reason']}"
            console.print(line)
        elif s.get("verdict") == "inconclusive":
            console.print(f"suite {s['name']}: {_VERDICT['inconclusive']}: no sample has a verdict "
                          f"({s['metrics']['errors']['planned']} planned, every one errored or missing)")


_VERDICT = {"pass": "[green]PASS[/green]", "fail": "[red]FAIL[/red]", "inconclusive": "[yellow]INCONCLUSIVE[/yellow]"}


def render_errors(messages: list[dict[str, Any]], console: Console) -> None:
    """The distinct error messages, counted (the first few): errors are reported, never hidden."""
    if not messages:
        return
    console.print("[yellow]errors[/yellow] (most frequent first):")
    for m in messages:
        console.print(f"  {m['count']}× {m['message']}", markup=False, highlight=False)


def render_robustness(rob: dict[str, Any], console: Console) -> None:
    """Stability, worst case and flip rates per mutation operator."""
    table = Table(title="robustness (mutated variants)", title_justify="left")
    for col in ("operator", "parents", "variants", "stability", "worst case", "flip pass→fail", "flip fail→pass"):
        table.add_column(col, justify="left" if col == "operator" else "right")
    for name, st in [("all", rob["overall"]), *rob["by_operator"].items()]:
        table.add_row(name, str(st["n_parents"]), str(st["n_variants"]), fmt_estimate(st["stability"]),
                      fmt_estimate(st["worst_case"]), fmt_estimate(st["flip_pass_to_fail"]),
                      fmt_estimate(st["flip_fail_to_pass"]))
    console.print(table)


def _rate(err: dict[str, Any] | None) -> str:
    if not err or "rate" not in err:
        return "–"
    return f"{err['rate']:.2f}"


def _errors(err: dict[str, int]) -> str:
    parts = []
    if err["target"]:
        parts.append(f"{err['target']} target")
    if err["grader"]:
        parts.append(f"{err['grader']} grader")
    if err.get("missing"):
        parts.append(f"{err['missing']} missing")
    return ", ".join(parts) or "0"
