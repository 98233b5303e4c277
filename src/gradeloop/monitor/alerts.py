"""Evaluating the config's alert rules on one window's report; each firing is one alert entry.

Rate rules compare an interval bound (by default the confident one: `ci_high` for *_below,
`ci_low` for *_above), so a small window alerts only when even its interval is past the line.
A slice or rate with no requests never alerts: no data is not evidence.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from gradeloop.monitor.config import AlertRule, DriftSettings
from gradeloop.monitor.drift import redecide

_RATE = {"pass_rate_below": ("pass_rate", -1), "refusal_rate_above": ("refusal_rate", 1),
         "error_rate_above": ("error_rate", 1), "latency_above": ("latency_s", 1),
         "tool_call_failure_rate_above": ("tool_call_failure_rate", 1)}


def _targets(rule: AlertRule, window: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(slice name, rates) the rule applies to: all traffic, one slice, or every value of a tag."""
    if rule.slice is None:
        return [("all", window["rates"])]
    slices = window.get("slices", {})
    if "=" in rule.slice:
        return [(rule.slice, slices[rule.slice]["rates"])] if rule.slice in slices else []
    prefix = rule.slice + "="
    return [(name, s["rates"]) for name, s in sorted(slices.items()) if name.startswith(prefix)]


def _rate_alerts(rule: AlertRule, window: Mapping[str, Any]) -> list[dict[str, Any]]:
    metric, sign = _RATE[rule.kind]
    threshold = float(getattr(rule, rule.kind))
    bound = rule.bound
    out = []
    for name, rates in _targets(rule, window):
        est = rates.get(metric)
        if not est or est["n_samples"] == 0:
            continue
        value = est[bound]
        if (value - threshold) * sign > 0:
            word = "above" if sign > 0 else "below"
            out.append({"rule": rule.label, "kind": rule.kind, "slice": name, "metric": metric, "on": bound,
                        "value": value, "threshold": threshold, "n": est["n_samples"],
                        "message": f"{metric} {bound} {value:.3g} is {word} {threshold:g} ({name}, n={est['n_samples']})"})
    return out


def _drift_alerts(rule: AlertRule, window: Mapping[str, Any], settings: DriftSettings) -> list[dict[str, Any]]:
    assert rule.drift is not None
    alpha = rule.drift.alpha or settings.alpha
    out = []
    for entry in window.get("drift", []):
        if rule.drift.feature not in ("any", entry["feature"]):
            continue
        if redecide(entry, alpha, settings.min_psi):
            out.append({"rule": rule.label, "kind": "drift", "slice": "all", "feature": entry["feature"],
                        "value": entry["psi"], "p_adjusted": entry["p_adjusted"], "alpha": alpha,
                        "message": f"{entry['feature']} drifted: PSI {entry['psi']:.3f}, "
                                   f"Holm-adjusted p {entry['p_adjusted']:.2g} < {alpha:g}"})
    return out


def _drop_alerts(rule: AlertRule, window: Mapping[str, Any], alarm_at: int | None) -> list[dict[str, Any]]:
    drop = rule.pass_rate_drop
    assert drop is not None
    change = window.get("pass_rate_change")
    if change is None:
        return []
    if drop.method == "sequential":
        if alarm_at is None:
            return []
        return [{"rule": rule.label, "kind": "pass_rate_drop", "slice": "all", "method": "sequential",
                 "value": change["diff"], "alarm_at": alarm_at,
                 "message": f"pass rate below the baseline's (anytime-valid monitor, α={drop.alpha:g}, "
                            f"margin {drop.margin:g}): alarm at request {alarm_at}"}]
    p = change.get("p_value")
    if p is not None and p < drop.alpha and change["diff"] < -drop.margin:
        return [{"rule": rule.label, "kind": "pass_rate_drop", "slice": "all", "method": "window",
                 "value": change["diff"], "p_value": p,
                 "message": f"pass rate {change['diff']:+.3f} vs the baseline (Fisher one-sided p {p:.2g} "
                            f"< {drop.alpha:g})"}]
    return []


def evaluate(rules: Sequence[AlertRule], window: Mapping[str, Any], settings: DriftSettings,
             alarms: Mapping[int, int | None]) -> list[dict[str, Any]]:
    """Every alert that fires in this window; `alarms` maps a sequential rule's index to its alarm."""
    out: list[dict[str, Any]] = []
    for i, rule in enumerate(rules):
        if rule.kind in _RATE:
            out += _rate_alerts(rule, window)
        elif rule.kind == "drift":
            out += _drift_alerts(rule, window, settings)
        else:
            out += _drop_alerts(rule, window, alarms.get(i))
    return out
