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


def interval_level(cmp: dict[str, Any]) -> str:
    """The confidence of a comparison's intervals: the simultaneous level that decides (every report says it)."""
    level = (cmp["overall"].get("diff") or {}).get("level")
    return f"{level:.0%} simultaneous" if isinstance(level, (int, float)) and level else "simultaneous"


def render_run(run: dict[str, Any], console: Console, *, show_slices: bool = True) -> None:
    """Print the suite table, then the slice table, then threshold verdicts."""
    title = f"run {run['run_id']} · {run['target']['spec']} · {run['samples_per_case']} sample(s)/case"
    if run.get("status") not in (None, "done"):  # killed, or still running elsewhere: say so before any figure
        title += f" · UNFINISHED ({run['status']}; the same eval command resumes it)"
    if console.width < _WIDE:
        _narrow_tables(run, console, title, show_slices)
    else:
        _wide_tables(run, console, title, show_slices)
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
            console.print(f"suite {s['name']}: {_VERDICT['inconclusive']}: {_why_inconclusive(s)}", highlight=False)


def _why_inconclusive(suite: dict[str, Any]) -> str:
    """A suite without a threshold that is inconclusive: every sample failed to get a verdict, or too many."""
    e = suite["metrics"].get("errors") or {}
    planned = int(e.get("planned") or 0)
    if not suite["metrics"]["pass_rate"].get("n_cases"):
        return f"no sample has a verdict ({planned} planned, every one errored or missing)"
    bad = int(e.get("target") or 0) + int(e.get("grader") or 0) + int(e.get("missing") or 0)
    allowed = float((suite.get("thresholds") or {}).get("max_error_rate") or 0.0)
    return (f"{bad} of {planned} samples errored or missing ({float(e.get('rate') or 0.0):.1%}, more than the "
            f"{allowed:.1%} thresholds.max_error_rate allows)")


# Below this width (CI logs are 80 columns) the tables drop what repeats, compact the intervals
# and fold long names instead of cutting them: a slice name is never shortened to `intent=…`.
_WIDE = 110


def _wide_tables(run: dict[str, Any], console: Console, title: str, show_slices: bool) -> None:
    """Every column, intervals in full (a terminal of 110 columns or more)."""
    table = Table(title=title, title_justify="left")
    for col in ("suite", "split", "pass rate [95% CI]", "score [95% CI]", "cases", "samples", "errors", "error rate"):
        table.add_column(col, justify="left" if col in ("suite", "split") else "right",
                         overflow="fold" if col == "suite" else "ellipsis")
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
                st.add_column(col, justify="left" if col == "slice" else "right",
                              overflow="fold" if col == "slice" else "ellipsis")
            for name, v in tags.items():
                st.add_row(name, fmt_estimate(v["pass_rate"]), fmt_estimate(v["score"]), str(v["pass_rate"]["n_cases"]),
                           _rate(v.get("errors")))
            console.print(st)


def _compact(e: dict[str, Any] | None) -> str:
    """`0.83 [0.71,0.91]`: the interval on one line in 16 characters."""
    if not e or e.get("n_cases", 0) == 0:
        return "–"
    return f"{e['mean']:.2f} [{e['ci_low']:.2f},{e['ci_high']:.2f}]"


def _same(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    keys = ("mean", "ci_low", "ci_high")
    return bool(a and b) and all(abs(float(a[k]) - float(b[k])) < 5e-3 for k in keys)  # type: ignore[index]


def _error_cell(err: dict[str, Any]) -> str:
    """`0`, or `3 (3%)` with the kinds listed by render_errors below the tables."""
    n = int(err.get("target", 0)) + int(err.get("grader", 0)) + int(err.get("missing", 0))
    if not n:
        return "0"
    return f"{n} ({err['rate']:.0%})" if "rate" in err else str(n)


def _narrow_tables(run: dict[str, Any], console: Console, title: str, show_slices: bool) -> None:
    """The suite and slice tables in ~80 columns: names fold, intervals stay on one line, and the
    score column appears only where it says something the pass rate does not."""
    from rich import box

    rows = [(s["name"], s.get("split", ""), s["metrics"]) for s in run["suites"]]
    rows.append(("[bold]all[/bold]", "", run["metrics"]))
    tags = {k: v for k, v in run["slices"].items() if not k.startswith("suite=")} if show_slices else {}
    score = any(not _same(m["pass_rate"], m["score"]) for _, _, m in rows) or any(
        not _same(v["pass_rate"], v["score"]) for v in tags.values())
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, caption="[95% CI] in brackets",
                  caption_justify="left")
    table.add_column("suite", overflow="fold", min_width=10)
    table.add_column("split", no_wrap=True)
    table.add_column("pass rate", justify="right", no_wrap=True)
    if score:
        table.add_column("score", justify="right", no_wrap=True)
    table.add_column("cases", justify="right", no_wrap=True)
    table.add_column("errors", justify="right", no_wrap=True)
    for name, split, m in rows:
        cells = [name, split, _compact(m["pass_rate"])] + ([_compact(m["score"])] if score else [])
        table.add_row(*cells, str(m["pass_rate"]["n_cases"]), _error_cell(m["errors"]))
    console.print(table)
    m = run["metrics"]
    extra = [k for k in m if k.startswith("pass@") or k.startswith("pass^")]
    for k in sorted({k[5:] for k in extra}, key=int):  # one line per k: pass@k and pass^k
        console.print("  " + "   ".join(f"{name} {_compact(m[name])}" for name in (f"pass@{k}", f"pass^{k}")
                                        if name in m))
    if tags:
        st = Table(title="slices", title_justify="left", box=box.SIMPLE_HEAD)
        st.add_column("slice", overflow="fold", min_width=12)
        st.add_column("pass rate", justify="right", no_wrap=True)
        if score:
            st.add_column("score", justify="right", no_wrap=True)
        st.add_column("cases", justify="right", no_wrap=True)
        st.add_column("errors", justify="right", no_wrap=True)
        for name, v in tags.items():
            cells = [name, _compact(v["pass_rate"])] + ([_compact(v["score"])] if score else [])
            st.add_row(*cells, str(v["pass_rate"]["n_cases"]), _error_cell(v.get("errors") or {}))
        console.print(st)


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
