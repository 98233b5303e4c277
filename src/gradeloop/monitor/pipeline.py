"""`run_monitor`: logs -> scored requests -> windows -> rates, drift, pass-rate change, alerts -> JSON.

The document (schema gradeloop.monitor/v1) has one entry per window and a summary; the CLI
exits 1 when `summary.alerts` is non-zero.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from gradeloop.errors import InputError
from gradeloop.graders.base import JudgeFactory
from gradeloop.monitor.alerts import evaluate
from gradeloop.monitor.baseline import Baseline, load_baseline
from gradeloop.monitor.config import MonitorConfig, WindowSpec, parse_window
from gradeloop.monitor.drift import compare
from gradeloop.monitor.ingest import BadLines, iter_logs
from gradeloop.monitor.passrate import PassRateMonitor, fisher_drop_p
from gradeloop.monitor.rates import RateCounts, proportion
from gradeloop.monitor.scoring import Scored, Scorer, load_production_suite
from gradeloop.monitor.windows import Window, count_windows, time_windows

MONITOR_SCHEMA = "gradeloop.monitor/v1"


def _scored(paths: Sequence[str | Path], scorer: Scorer, bad: BadLines,
            totals: RateCounts) -> Iterator[tuple[Scored, str, int]]:
    for record in iter_logs(paths, bad):
        try:
            s = scorer.score(record)
        except InputError as exc:  # this request cannot be graded (a {{ tags.x }} it lacks)
            bad.report(exc)
            continue
        totals.add(s)
        yield s, record.file, record.line


def _window_doc(index: int, win: Window, cfg: MonitorConfig, baseline: Baseline | None,
                monitors: dict[int, PassRateMonitor]) -> tuple[dict[str, Any], dict[int, int | None]]:
    start, end = win.bounds
    doc: dict[str, Any] = {"index": index, "start": start, "end": end, "partial": win.partial,
                           **win.counts.as_dict(cfg.level),
                           "slices": {name: acc.as_dict(cfg.level) for name, acc in sorted(win.slices.items())}}
    alarms: dict[int, int | None] = {}
    if baseline is None:
        doc["drift"], doc["drift_skipped"] = [], []
        return doc, alarms
    found, skipped = compare(baseline.features, win.features(), cfg.drift_features, alpha=cfg.drift.alpha,
                             min_psi=cfg.drift.min_psi, min_n=cfg.drift.min_n, edges=baseline.edges)
    doc["drift"], doc["drift_skipped"] = [f.as_dict() for f in found], skipped
    c = win.counts
    base_rate = proportion(baseline.passed, baseline.graded, cfg.level)
    if c.graded and baseline.graded:
        doc["pass_rate_change"] = {
            "baseline": base_rate.as_dict(), "diff": c.passed / c.graded - base_rate.mean,
            "p_value": fisher_drop_p(c.passed, c.graded, baseline.passed, baseline.graded),
            "test": "fisher_exact_one_sided"}
    sequential = []
    for i, mon in monitors.items():
        alarms[i] = mon.update(win.outcomes)
        sequential.append({"rule": cfg.alerts[i].label, **mon.state(), "alarm_at": alarms[i]})
    if sequential:
        doc["sequential"] = sequential
    return doc, alarms


def run_monitor(logs: Sequence[str | Path], cfg: MonitorConfig, *, window: str | int | None = None,
                skip_bad: int = 0, store: str | Path | None = None, judge_factory: JudgeFactory | None = None,
                on_window: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Score the logs with the suite's default graders and report every window; see the module docstring."""
    if window is not None:
        parse_window(window)  # a bad --window is an InputError naming the field
        cfg = cfg.model_copy(update={"window": window})
    spec: WindowSpec = cfg.window_spec
    suite = load_production_suite(cfg.suite)
    scorer = Scorer(suite, judge_factory)
    slice_keys = cfg.slice_keys
    tag_features = [f[4:] for f in cfg.drift_features if f.startswith("tag:")]

    def make(start: float, end: float) -> Window:
        return Window(start, end, slice_keys, tag_features, cfg.max_slice_values)

    baseline = None
    if cfg.baseline:
        baseline = load_baseline(cfg.baseline, scorer, make, bins=cfg.drift.bins, store=store, skip_bad=skip_bad)
    monitors: dict[int, PassRateMonitor] = {}
    for i, rule in enumerate(cfg.alerts):
        if rule.pass_rate_drop is not None:
            if baseline is None:
                raise InputError("a pass_rate_drop alert needs a `baseline`", field=f"alerts[{i}]")
            if rule.pass_rate_drop.method == "sequential":
                d = rule.pass_rate_drop
                monitors[i] = PassRateMonitor(baseline.passed, baseline.graded, alpha=d.alpha, margin=d.margin,
                                              halflife=d.halflife)
    if baseline is None and any(r.drift is not None for r in cfg.alerts):
        raise InputError("a drift alert needs a `baseline`", field="alerts")

    bad = BadLines(limit=skip_bad)
    totals = RateCounts()
    stream = _scored(logs, scorer, bad, totals)
    if spec.count is not None:
        wins = count_windows((s for s, _, _ in stream), spec.count, make)
    else:
        wins = time_windows(stream, float(spec.seconds or 0), cfg.lateness_s, make, bad.report)
    docs = []
    for index, win in enumerate(wins):
        doc, alarms = _window_doc(index, win, cfg, baseline, monitors)
        doc["alerts"] = evaluate(cfg.alerts, doc, cfg.drift, alarms)
        docs.append(doc)
        if on_window is not None:
            on_window(doc)
    if totals.n == 0:
        raise InputError("the logs hold no requests", file=str(logs[0]) if len(logs) == 1 else None, field="logs")
    alerts = [a for d in docs for a in d["alerts"]]
    summary = {"windows": len(docs), "requests": totals.n, **totals.as_dict(cfg.level),
               "alerts": len(alerts), "alerting_windows": [d["index"] for d in docs if d["alerts"]],
               "fired": sorted({a["rule"] for a in alerts}),
               "drifted_features": sorted({f["feature"] for d in docs for f in d["drift"] if f["drifted"]})}
    summary.pop("n")
    return {"schema": MONITOR_SCHEMA,
            "config": {"suite": suite.name, "suite_version": suite.version, "window": spec.label,
                       "slices": slice_keys, "drift_features": cfg.drift_features, "drift_alpha": cfg.drift.alpha,
                       "level": cfg.level, "rules": [r.label for r in cfg.alerts]},
            "logs": [str(p) for p in logs], "ingest": bad.as_dict(),
            "baseline": None if baseline is None else baseline.as_dict(cfg.level),
            "windows": docs, "summary": summary}

