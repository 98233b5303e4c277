"""`gradeloop calibrate` (metrics, calibrators, selective-answering and tiered policies) and
`gradeloop policy` (what a policy file decides for given signals)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from gradeloop.cli.common import STORE_OPT, write_json
from gradeloop.errors import InputError


def _fmt(e: dict[str, Any] | None) -> str:
    if not e:
        return "–"
    if e.get("ci_low") is None or e.get("ci_high") is None:
        return f"{e['mean']:.3f}"
    return f"{e['mean']:.3f} [{e['ci_low']:.3f}, {e['ci_high']:.3f}]"


def _metrics_table(title: str, columns: dict[str, dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    for name in columns:
        table.add_column(name, justify="right")
    for metric in ("ece", "ece_plugin", "brier", "auroc", "aurc"):  # ece: debiased (Kumar et al. 2019)
        table.add_row(metric, *(_fmt(c.get(metric)) for c in columns.values()))
    return table


def _parse_gray(text: str) -> tuple[float, float]:
    low, sep, high = text.partition(":")
    try:
        bounds = float(low), float(high)
    except ValueError:
        bounds = None
    if not sep or bounds is None or not bounds[0] <= bounds[1]:
        raise InputError(f"expected LOW:HIGH with LOW <= HIGH, got {text!r}", field="--gray")
    return bounds


def _data_version(run: dict) -> str | None:
    """The suites (name@version) the thresholds were derived from, else the run id."""
    suites = [f"{s['name']}@{s['version']}" for s in run.get("suites") or []
              if isinstance(s, dict) and s.get("name") and s.get("version")]
    return ",".join(suites) if suites else run.get("run_id")


def _slice_rules(data: Any, tags: list[str], alpha: float, delta: float, fallback: str) -> tuple[dict, dict]:
    """Per `tag=value`, a threshold certified on that slice's requests alone."""
    from gradeloop.calibrate.policy import Rule
    from gradeloop.calibrate.selective import select_threshold

    rules: dict[str, Rule] = {}
    derived: dict[str, Any] = {}
    for tag in tags:
        for value in sorted({str(t[tag]) for t in data.tags if tag in t}):
            mask = [str(t.get(tag)) == value if tag in t else False for t in data.tags]
            part = data.subset(mask)
            res = select_threshold(part.confidence, part.correct, alpha, delta)
            rules[f"{tag}={value}"] = Rule({"answer": res.threshold}, fallback)
            derived[f"{tag}={value}"] = res.as_dict()
    return rules, derived


def register(app: typer.Typer) -> None:
    @app.command("calibrate")
    def calibrate_cmd(
        run_ref: str = typer.Argument(..., metavar="RUN", help="Run id, latest, or run JSON file"),
        signal: str = typer.Option(..., "--signal", help="Confidence signal to assess, e.g. confidence, p_mean"),
        bins: int = typer.Option(10, "--bins", help="Equal-mass bins for ECE and the reliability diagram"),
        n_boot: int = typer.Option(1000, "--n-boot", help="Case-bootstrap resamples for the intervals"),
        seed: int = typer.Option(0, "--seed"),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write gradeloop.calibration/v1 JSON"),
        plot: Optional[Path] = typer.Option(None, "--plot", help="Reliability + risk-coverage figure (.png/.svg)"),
        verifier_grader: Optional[str] = typer.Option(None, "--verifier-grader",
                                                      help="Grader whose score becomes the `verifier` signal"),
        judge_grader: Optional[str] = typer.Option(None, "--judge-grader",
                                                   help="Judge grader whose signals.confidence is used"),
        custom: list[str] = typer.Option([], "--custom-signal", help="name=module:function, fn(case, sample)"),
        calibrator: Optional[str] = typer.Option(None, "--calibrator", help="temperature | platt | isotonic"),
        fit_fraction: float = typer.Option(0.5, "--fit-fraction", help="Share of cases the calibrator is fit on"),
        calibrator_out: Optional[Path] = typer.Option(None, "--calibrator-out", help="Save the calibrator JSON"),
        alpha: Optional[float] = typer.Option(None, "--alpha", help="Max error rate among answered requests"),
        delta: float = typer.Option(0.1, "--delta", help="Allowed probability that the guarantee fails"),
        policy_out: Optional[Path] = typer.Option(None, "--policy-out", help="Write the policy (.json/.yaml)"),
        slice_tag: list[str] = typer.Option([], "--slice-tag", help="Also certify thresholds per value of TAG"),
        fallback: str = typer.Option("abstain", "--fallback", help="Action below the thresholds: abstain|escalate"),
        heavy_signal: Optional[str] = typer.Option(None, "--heavy-signal", help="Heavy-path signal (tiered)"),
        gray: Optional[str] = typer.Option(None, "--gray", help="Gray zone LOW:HIGH of --signal for the heavy path"),
        heavy_cost: float = typer.Option(1.0, "--heavy-cost", help="Extra samples per escalated request"),
        max_ece: Optional[float] = typer.Option(None, "--max-ece", help="Exit 1 when ECE exceeds this"),
        store: Optional[Path] = STORE_OPT,
    ) -> None:
        """Calibration of a confidence signal; optionally a calibrator and a certified answer policy.

        Exit 1 when --max-ece is exceeded or --alpha cannot be certified at --delta.
        """
        from gradeloop.calibrate.dataset import signal_data
        from gradeloop.calibrate.metrics import calibration_report
        from gradeloop.calibrate.signals import compute_signals, load_custom_signal
        from gradeloop.run.schema import load_run_cases

        if fallback not in ("abstain", "escalate"):
            raise InputError(f"fallback must be abstain or escalate, got {fallback!r}", field="--fallback")
        if policy_out and alpha is None:
            raise InputError("--policy-out needs --alpha", field="--alpha")
        if (heavy_signal is None) != (gray is None):
            raise InputError("--heavy-signal and --gray go together", field="--gray")
        if heavy_signal and alpha is None:
            raise InputError("a tiered policy (--heavy-signal) needs --alpha", field="--alpha")
        if calibrator is not None and calibrator not in ("temperature", "platt", "isotonic"):
            raise InputError(f"calibrator must be temperature, platt or isotonic, got {calibrator!r}",
                             field="--calibrator")
        gray_zone = _parse_gray(gray) if gray is not None else None
        if str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))  # let --custom-signal name modules of the user's project
        customs = dict(load_custom_signal(spec) for spec in custom)
        run = load_run_cases(run_ref, store)  # a run file may hold only its cases
        run = compute_signals(run, custom=customs, verifier_grader=verifier_grader, judge_grader=judge_grader,
                              source=run_ref)
        data = signal_data(run, signal, source=run_ref, require_unit_interval=True)
        report = calibration_report(data.confidence, data.correct, data.case_ids, bins, n_boot, seed, signal=signal)
        out = report.as_dict() | {"run_id": run.get("run_id"), "errored_samples": data.n_errored}
        console = Console()
        console.print(_metrics_table(f"calibration of {signal!r} · {report.n} samples · "
                                     f"{len(set(data.case_ids.tolist()))} cases · {data.n_errored} errored excluded",
                                     {"value [95% CI]": out}))
        failed: list[str] = []
        if calibrator:
            from gradeloop.calibrate.compare import compare_calibrator

            cmp = compare_calibrator(calibrator, data.confidence, data.correct, data.case_ids,
                                     fit_fraction=fit_fraction, seed=seed, bins=bins, n_boot=n_boot)
            out["calibrator"] = cmp.as_dict()
            console.print(_metrics_table(f"{calibrator} calibrator · fit on {cmp.n_fit_cases} cases · "
                                         f"held-out {cmp.n_eval_cases} cases",
                                         {"held-out raw": cmp.as_dict()["before"],
                                          "held-out calibrated": cmp.as_dict()["after"]}))
            if calibrator_out:
                cmp.calibrator.save(calibrator_out)
        if alpha is not None:
            policy, summary = _selective(run, data, signal, alpha, delta, slice_tag, fallback,
                                         heavy_signal, gray_zone, heavy_cost, run_ref, console)
            out.update(summary)
            if policy.rule.thresholds.get("answer") is None:
                failed.append(f"no threshold of {signal!r} certifies error <= {alpha} at delta {delta}")
            if policy_out:
                policy.save(policy_out)
        if max_ece is not None and report.ece.mean > max_ece:
            failed.append(f"ECE {report.ece.mean:.3f} > --max-ece {max_ece}")
        if json_out:
            write_json(json_out, out)
        if plot:
            from gradeloop.calibrate.plots import save_calibration_plot

            save_calibration_plot(report, plot)
        for message in failed:
            console.print(f"[red]FAIL[/red] {message}")
        if failed:
            raise typer.Exit(1)

    @app.command("policy")
    def policy_cmd(
        path: Path = typer.Argument(..., help="Policy file (.json/.yaml) written by calibrate --policy-out"),
        signals: str = typer.Option(..., "--signals", help='JSON object of signal values, e.g. {"p_mean": 0.8}'),
        tag: list[str] = typer.Option([], "--tag", help="Request tag KEY=VALUE (repeatable)"),
    ) -> None:
        """Print the action a policy takes for one request's signals."""
        from gradeloop.calibrate.policy import Policy

        try:
            values = json.loads(signals)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg}", field="--signals") from None
        if not isinstance(values, dict):
            raise InputError("expected a JSON object of signal values", field="--signals")
        tags = {}
        for t in tag:
            key, eq, value = t.partition("=")
            if not eq or not key:
                raise InputError(f"expected KEY=VALUE, got {t!r}", field="--tag")
            tags[key] = value
        typer.echo(Policy.load(path).decide(values, tags))


def _selective(run: dict, data: Any, signal: str, alpha: float, delta: float, slice_tag: list[str],
               fallback: str, heavy_signal: str | None, gray: tuple[float, float] | None, heavy_cost: float,
               source: str,
               console: Console) -> tuple[Any, dict[str, Any]]:
    """Certify thresholds on one answer per case; build the policy and the JSON summary."""
    from gradeloop.calibrate.dataset import first_per_case, signal_data
    from gradeloop.calibrate.policy import Policy, Rule
    from gradeloop.calibrate.selective import select_threshold
    from gradeloop.calibrate.tiered import tiered_policy

    once = data.subset(first_per_case(data.case_ids))
    version = _data_version(run)
    res = select_threshold(once.confidence, once.correct, alpha, delta)
    shown = "none (never answer)" if res.threshold is None else f"{res.threshold:.4g}"
    console.print(f"selective answering (alpha={alpha}, delta={delta}, {res.n} cases, one answer each): "
                  f"threshold {shown}, coverage {res.coverage:.1%}, "
                  f"risk {'–' if res.selective_risk is None else f'{res.selective_risk:.3f}'}"
                  f" (upper bound {'–' if res.risk_upper is None else f'{res.risk_upper:.3f}'})")
    summary: dict[str, Any] = {"selective": res.as_dict()}
    slices, slice_derived = _slice_rules(once, slice_tag, alpha, delta, fallback)
    if slice_derived:
        summary["selective_slices"] = slice_derived
    derived = {"run_id": run.get("run_id"), "selective": res.as_dict(), "slices": slice_derived}
    policy = Policy(signal, Rule({"answer": res.threshold}, fallback), slices, alpha, delta, version, derived)
    if heavy_signal and gray:
        low, high = gray
        heavy = signal_data(run, heavy_signal, source=source)
        heavy_once = heavy.subset(first_per_case(heavy.case_ids))
        if heavy_once.case_ids.tolist() != once.case_ids.tolist():
            raise InputError(f"signals {signal!r} and {heavy_signal!r} cover different samples",
                             file=source, field="--heavy-signal")
        tier = tiered_policy(once.confidence, heavy_once.confidence, once.correct, low=low, high=high,
                             alpha=alpha, delta=delta, heavy_cost=heavy_cost)
        summary["tiered"] = tier.as_dict()
        tiered = tier.policy(signal, heavy_signal, data_version=version, fallback=fallback)
        policy = Policy(signal, tiered.rule, slices, alpha, delta, version, derived | dict(tiered.derived))
        table = Table(title=f"tiered: {signal} everywhere, {heavy_signal} in [{low}, {high})", title_justify="left")
        for col in ("path", "coverage", "risk", "cost/request"):
            table.add_column(col, justify="left" if col == "path" else "right")
        for name, op in (("gray zone answered blind", tier.without_heavy), ("tiered", tier.tiered)):
            table.add_row(name, f"{op.coverage:.1%}", "–" if op.risk is None else f"{op.risk:.3f}", f"{op.cost:.2f}")
        for name, sel, cost in (("cheap only, certified", tier.cheap_only, 0.0),
                                ("heavy everywhere, certified", tier.heavy_everywhere, heavy_cost)):
            table.add_row(name, f"{sel.coverage:.1%}",
                          "–" if sel.selective_risk is None else f"{sel.selective_risk:.3f}", f"{cost:.2f}")
        console.print(table)
        console.print(f"escalated {tier.escalated_share:.1%} of requests; heavy threshold "
                      f"{'none' if tier.heavy_threshold is None else f'{tier.heavy_threshold:.4g}'}")
    return policy, summary
