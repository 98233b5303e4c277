"""`gradeloop compare`, `gate` and `plan`: verdicts a release can trust."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from gradeloop.cli.common import STORE_OPT, open_store, write_json
from gradeloop.report.terminal import fmt_estimate, interval_level

_STYLE = {"fail": "red", "inconclusive": "yellow", "pass": "green"}
_MARK = {"pass": "[green]ok[/green]", "fail": "[red]FAIL[/red]", "inconclusive": "[yellow]INCONCLUSIVE[/yellow]"}


def _compact_diff(e: dict | None) -> str:
    if not e or not e.get("n_cases"):
        return "–"
    return f"{e['mean']:+.2f} [{e['ci_low']:+.2f},{e['ci_high']:+.2f}]"


def _narrow_compare(cmp: dict, console: Console) -> None:
    """The compare table in ~80 columns (CI logs): slice names fold, never cut; baseline → candidate
    means, the difference with its interval on one line, and the verdict (p, MDE, errors: --json)."""
    from rich import box

    table = Table(title=f"{cmp['baseline']['run_id']} → {cmp['candidate']['run_id']} "
                        f"({cmp['shared_cases']} shared cases)", title_justify="left", box=box.SIMPLE_HEAD,
                  caption=f"difference = candidate − baseline, [{interval_level(cmp)}]", caption_justify="left")
    table.add_column("slice", overflow="fold", min_width=10)
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column("base → cand", justify="right", no_wrap=True)
    table.add_column("difference", justify="right", no_wrap=True)
    table.add_column("verdict", overflow="fold", min_width=8)
    for name, e in {"all": cmp["overall"], **cmp["slices"]}.items():
        style = _STYLE.get(e["verdict"], "")
        b, c = e.get("baseline") or {}, e.get("candidate") or {}
        means = (f"{b['mean']:.2f} → {c['mean']:.2f}" if b.get("n_cases") and c.get("n_cases") else "–")
        table.add_row(name, str(e["n_cases"]), means, _compact_diff(e.get("diff")),
                      f"[{style}]{e['verdict']}[/{style}]" if style else e["verdict"])
    console.print(table)


def render_compare(cmp: dict, console: Console) -> None:
    if console.width < 110:
        _narrow_compare(cmp, console)
    else:
        _wide_compare(cmp, console)
    _compare_notes(cmp, console)


def _wide_compare(cmp: dict, console: Console) -> None:
    table = Table(title=f"{cmp['baseline']['run_id']} → {cmp['candidate']['run_id']} "
                        f"({cmp['shared_cases']} shared cases)", title_justify="left")
    for col in ("slice", "cases", "baseline", "candidate", f"difference [{interval_level(cmp)}]", "adj. p", "MDE",
                "err.", "verdict"):
        table.add_column(col, justify="left" if col in ("slice", "verdict") else "right",
                         overflow="fold" if col == "slice" else "ellipsis")
    for name, e in {"all": cmp["overall"], **cmp["slices"]}.items():
        style = _STYLE.get(e["verdict"], "")
        err = (e.get("errors") or {}).get("candidate")
        table.add_row(name, str(e["n_cases"]), fmt_estimate(e["baseline"]), fmt_estimate(e["candidate"]),
                      fmt_estimate(e.get("diff")) if e.get("diff") else "–",
                      "–" if e.get("p_value_adjusted") is None else f"{e['p_value_adjusted']:.3g}",
                      "–" if e.get("mde") is None else f"{e['mde']:.3f}",
                      "–" if not err else f"{err['rate']:.2f}",
                      f"[{style}]{e['verdict']}[/{style}]" if style else e["verdict"])
    console.print(table)


def _compare_notes(cmp: dict, console: Console) -> None:
    for c in cmp["checks"]:
        if c.get("verdict", "pass" if c["passed"] else "fail") != "pass" or c["kind"] != "no_regression":
            mark = _MARK[c.get("verdict", "pass" if c["passed"] else "fail")]
            console.print(f"  {mark} {c['kind']} {c['scope']}: {c['message']}", highlight=False)
    for key, label in (("only_in_baseline", "only in baseline"), ("only_in_candidate", "only in candidate")):
        if cmp[key]:
            console.print(f"  [yellow]{len(cmp[key])} case(s) {label}[/yellow]: {', '.join(cmp[key][:10])}"
                          + (" …" if len(cmp[key]) > 10 else ""))
    for role, reasons in (cmp.get("partial") or {}).items():
        console.print(f"  [yellow]partial {role} (allowed)[/yellow]: {'; '.join(reasons)}")
    for m in cmp.get("error_messages") or []:
        console.print(f"  [yellow]candidate error[/yellow] {m['count']}×: {m['message']}", highlight=False)
    _worst_cases(cmp.get("cases_changed"), console)
    render_verdict(cmp["verdict"], cmp.get("on_inconclusive", "fail"), cmp.get("failing", []),
                   cmp.get("to_decide", []), console)


def _worst_cases(changed: dict | None, console: Console, shown: int = 5) -> None:
    """The few cases that got worse the most: where to look first."""
    if not changed or not changed.get("n_regressed"):
        return
    console.print(f"  {changed['n_regressed']} case(s) worse, {changed['n_improved']} better; worst:", highlight=False)
    for r in changed["regressed"][:shown]:
        cand = "errors" if r.get("candidate") is None else f"{r['candidate']:.2f}"
        console.print(f"    {r['case']}: {r['baseline']:.2f} → {cand}"
                      + (f"  ({r['reason'][:120]})" if r.get("reason") else ""), highlight=False, markup=False)


def render_verdict(verdict: str, on_inconclusive: str, failing: list[str], to_decide: list[str],
                   console: Console) -> None:
    """The last line: the verdict, and for an inconclusive one what would decide it."""
    if verdict == "pass":
        console.print("gate: [green]PASS[/green]")
        return
    if verdict == "fail":
        console.print(f"gate: [red]FAIL[/red]: {', '.join(failing)}")
    else:
        passed = on_inconclusive == "pass"
        console.print("gate: [yellow]INCONCLUSIVE[/yellow]"
                      + (" (passed by policy: on_inconclusive: pass)" if passed else
                         " (fails by default; on_inconclusive: pass in the policy lets it through)"))
    for line in to_decide[:5]:
        console.print(f"  to decide: {line}", highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("compare")
    def compare_cmd(
        baseline: str = typer.Argument(..., help="Run id, latest, or run JSON file"),
        candidate: str = typer.Argument(..., help="Run id, latest, or run JSON file"),
        policy: Optional[Path] = typer.Option(None, "--policy", help="Gate policy YAML"),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the compare JSON here"),
        allow_partial: bool = typer.Option(False, "--allow-partial",
                                           help="Judge unfinished, empty or incomplete runs (missing data counts "
                                                "as errors) instead of refusing them with exit 2"),
        store: Optional[Path] = STORE_OPT,
    ) -> None:
        """Paired comparison of two runs per slice and grader; exit 1 when the gate fails or is inconclusive."""
        from gradeloop.gate import compare_runs, load_policy
        from gradeloop.run.results import load_run

        pol = load_policy(policy)
        cmp = compare_runs(load_run(baseline, store), load_run(candidate, store), pol, allow_partial=allow_partial)
        if json_out:
            write_json(json_out, cmp)
        render_compare(cmp, Console())
        if not cmp["passed"]:
            raise typer.Exit(1)

    @app.command("gate")
    def gate_cmd(
        suites: list[Path] = typer.Argument(..., help="Suite files or folders"),
        baseline: str = typer.Option(..., "--baseline", help="Baseline run id, latest, or run JSON"),
        target: str = typer.Option(..., "--target", "-t", help="Candidate target spec"),
        alpha: float = typer.Option(0.05, "--alpha"),
        margin: float = typer.Option(0.02, "--margin", help="Drops up to this size are not regressions"),
        effect: float = typer.Option(0.03, "--effect", help="Smallest regression worth catching (fixed-design size)"),
        round_size: int = typer.Option(25, "--round-size", min=1),
        seed: int = typer.Option(0, "--seed"),
        concurrency: int = typer.Option(8, "--concurrency", "-c", min=1),
        json_out: Optional[Path] = typer.Option(None, "--json"),
        policy: Optional[Path] = typer.Option(None, "--policy", help="Gate policy YAML (max_drop, errors, "
                                                                       "on_inconclusive; alpha/margin from the options)"),
        allow_partial: bool = typer.Option(False, "--allow-partial", help="Gate against an unfinished or "
                                                                           "incomplete baseline instead of exit 2"),
        judge: Optional[str] = typer.Option(None, "--judge", help="Default judge for llm_judge graders (spec or "
                                            "project target)"),
        executor_name: str = typer.Option("local", "--executor", help="Where samples run: local or ray"),
        ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster to join"),
        ray_workers: Optional[int] = typer.Option(None, "--ray-workers", min=1, help="Ray actors"),
        store: Optional[Path] = STORE_OPT,
    ) -> None:
        """Sequential gate: sample the candidate in rounds, stop early when clear, end with compare's test."""
        from gradeloop.gate import load_policy
        from gradeloop.gate.sequential import sequential_gate
        from gradeloop.run import RunConfig
        from gradeloop.suite import load_suites
        from gradeloop.targets import SamplingParams, load_target
        from gradeloop.api import make_judge_factory
        from gradeloop.project import load_project
        from gradeloop.run.results import load_run

        base = load_run(baseline, store)
        suite_objs = load_suites([str(p) for p in suites])
        params = SamplingParams(**base.get("config", {}).get("params", {})) if base.get("config") else SamplingParams()
        params = SamplingParams(temperature=params.temperature, top_p=params.top_p, max_tokens=params.max_tokens,
                                stop=tuple(params.stop))
        from gradeloop.run.executor import make_executor

        make_executor(executor_name, ray_address=ray_address, ray_workers=ray_workers)  # bad options: exit 2 now
        tgt = load_target(target, params=params)
        config = RunConfig(samples=int(base.get("samples_per_case", 1)), seed=seed, concurrency=concurrency,
                           params=params)
        console = Console()
        st = open_store(store)
        try:
            result = sequential_gate(base, suite_objs, tgt, st, alpha=alpha, margin=margin, effect=effect,
                                     round_size=round_size, seed=seed, config=config,
                                     judge_factory=make_judge_factory(judge, load_project()),
                                     policy=load_policy(policy), allow_partial=allow_partial,
                                     executor=lambda: make_executor(executor_name, ray_address=ray_address,
                                                                    ray_workers=ray_workers),
                                     on_round=lambda r: console.print(
                                         f"round {r['round']}: {r['cases_used']} cases, decision {r['decision']}, "
                                         f"difference in [{r['confidence_sequence'][0]:+.3f}, "
                                         f"{r['confidence_sequence'][1]:+.3f}], error rate {r['error_rate']:.2f}"))
        finally:
            st.close()
        if json_out:
            write_json(json_out, result)
        fixed = result["fixed_design_cases"]
        look = result["final_look"]
        stage = ("the interim test" if result["stage"] == "interim" else
                 "the last look (compare's test)" if result["stage"] == "final" else "errors, before the last look")
        console.print(f"decided by {stage} after {result['cases_seen']} of {result['cases_available']} cases"
                      + (f": {fmt_estimate(look['diff'])}" if look and look.get("diff") else "")
                      + (f"; a fixed design for a {effect:.0%} regression needs {fixed}" if fixed else ""))
        for why in result["reasons"]:
            console.print(f"  {why}", highlight=False)
        render_verdict(result["verdict"], result["on_inconclusive"], ["all"],
                       [result["to_decide"]] if result["to_decide"] else [], console)
        if not result["passed"]:
            raise typer.Exit(1)

    @app.command("plan")
    def plan_cmd(
        baseline: str = typer.Option(..., "--baseline", help="Baseline run id, latest, or run JSON"),
        effect: float = typer.Option(..., "--effect", help="Regression to detect, e.g. 0.03"),
        alpha: float = typer.Option(0.05, "--alpha"),
        power: float = typer.Option(0.8, "--power"),
        candidate: Optional[str] = typer.Option(None, "--candidate", help="A candidate run for paired variance"),
        margin: Optional[float] = typer.Option(None, "--margin", help="The gate's margin (default: the policy's)"),
        tests: int = typer.Option(1, "--tests", help="Scopes sharing alpha: 1 + the slices the gate will test"),
        json_out: Optional[Path] = typer.Option(None, "--json"),
        store: Optional[Path] = STORE_OPT,
    ) -> None:
        """How many cases × samples detect a regression of --effect beyond the margin at --alpha and --power."""
        from gradeloop.gate import plan
        from gradeloop.run.results import load_run

        cand = load_run(candidate, store) if candidate else None
        result = plan(load_run(baseline, store), effect, alpha=alpha, power=power, candidate=cand, margin=margin,
                      tests=tests)
        if json_out:
            write_json(json_out, result)
        console = Console()
        console.print(f"to detect a drop of {effect:.3f} (one-sided α={alpha}, power {power}) using {result['basis']}:")
        table = Table()
        table.add_column("samples per case", justify="right")
        table.add_column("cases needed", justify="right")
        table.add_column("total samples", justify="right")
        for row in result["options"]:
            table.add_row(str(row["samples_per_case"]), str(row["cases"]),
                          str(row["cases"] * row["samples_per_case"]))
        console.print(table)
        console.print(f"the baseline has {result['baseline_cases']} cases × {result['baseline_samples_per_case']} "
                      "sample(s)")
