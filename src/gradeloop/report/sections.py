"""Report sections that appear only when a run has what they need.

- robustness: the run contains mutated variants (cases with a `parent`) → per-operator stability;
- calibration: samples carry confidence signals (token log-probabilities, several samples per
  case for self-consistency, or a replay `confidence`) → reliability diagram and risk–coverage.
"""
from __future__ import annotations

from typing import Any

from gradeloop.report import plots
from gradeloop.report.html import _table, esc, fmt

_CALIBRATION_SIGNALS = ("p_mean", "self_consistency", "confidence")
_MIN_CALIBRATION_SAMPLES = 20


def robustness_section(run: dict[str, Any]) -> str:
    if not any(c.get("parent") for c in run["cases"]):
        return ""
    from gradeloop.probes import robustness

    rep = robustness(run)
    ops = [(name, s) for name, s in rep.by_operator.items() if s.stability is not None]
    out = ["<h2>Robustness to prompt mutations</h2>",
           "<p class=\"muted\">stability: share of a parent's variants whose verdict equals the parent's; "
           "worst case: lowest pass rate among a parent and its variants.</p>"]
    if ops:
        out.append(plots.bars_with_errors(
            [n for n, _ in ops], [s.stability.mean for _, s in ops], [s.stability.ci_low for _, s in ops],
            [s.stability.ci_high for _, s in ops], "stability by mutation operator (95% CI)", "stability"))
    rows = []
    for name, s in [("all", rep.overall), *rep.by_operator.items()]:
        rows.append([esc(name), str(s.n_parents), str(s.n_variants), *(fmt(e.as_dict() if e else None) for e in (
            s.stability, s.worst_case, s.flip_pass_to_fail, s.flip_fail_to_pass))])
    out.append(_table(["operator", "parents", "variants", "stability", "worst case", "flip pass→fail",
                       "flip fail→pass"], rows))
    if rep.flips:
        out.append(_table(["variant", "direction", "parent → variant pass rate"], [
            [esc(f.variant), esc(f.direction), f"{f.parent_pass_rate:.2f} → {f.variant_pass_rate:.2f}"]
            for f in rep.flips[:100]]))
    return "".join(out)


def calibration_section(run: dict[str, Any]) -> str:
    from gradeloop.calibrate import calibration_report, compute_signals, signal_data
    from gradeloop.calibrate.plots import reliability_svg, risk_coverage_svg

    graded = [s for c in run["cases"] for s in c["samples"] if s.get("passed") is not None]
    if len(graded) < _MIN_CALIBRATION_SAMPLES:
        return ""
    with_signals = compute_signals(run)
    out = []
    for name in _CALIBRATION_SIGNALS:
        present = [s for c in with_signals["cases"] for s in c["samples"]
                   if s.get("passed") is not None and name in (s.get("signals") or {})]
        if len(present) < _MIN_CALIBRATION_SAMPLES or (name == "self_consistency" and run["samples_per_case"] < 2):
            continue
        data = signal_data(with_signals, name)
        rep = calibration_report(data.confidence, data.correct, data.case_ids, n_boot=300, signal=name)
        out.append(f"<h3>{esc(name)}</h3>" + _table(
            ["samples", "ECE (debiased)", "ECE (plug-in)", "Brier", "AUROC", "AURC"],
            [[str(rep.n), fmt(rep.ece.as_dict()), fmt(rep.ece_plugin.as_dict()), fmt(rep.brier.as_dict()),
              fmt(rep.auroc.as_dict()) if rep.auroc else "–", fmt(rep.aurc.as_dict())]]))
        out.append(reliability_svg(rep) + risk_coverage_svg(rep))
    if not out:
        return ""
    return ("<h2>Calibration</h2><p class=\"muted\">Does the confidence signal match how often the model is "
            "right? Intervals bootstrap over cases.</p>" + "".join(out))
