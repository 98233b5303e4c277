"""Alert rules fire on the confident bound, per slice, for drift and for pass-rate drops — and only then."""
from __future__ import annotations

from gradeloop.monitor.alerts import evaluate
from gradeloop.monitor.config import AlertRule, DriftSettings
from gradeloop.monitor.rates import proportion


def _rates(passed: int, graded: int, refused: int = 0) -> dict:
    return {"pass_rate": proportion(passed, graded).as_dict(), "refusal_rate": proportion(refused, graded).as_dict(),
            "error_rate": proportion(0, graded).as_dict()}


def _window(**extra) -> dict:
    doc = {"rates": _rates(80, 100), "slices": {"locale=de": {"rates": _rates(20, 40, refused=12)},
                                               "locale=en": {"rates": _rates(58, 60, refused=1)},
                                               "locale=fr": {"rates": _rates(0, 0)}},
           "drift": [], "alerts": []}
    doc.update(extra)
    return doc


def _fire(rule: dict, window: dict | None = None, alarms=None) -> list[dict]:
    return evaluate([AlertRule(**rule)], window or _window(), DriftSettings(), alarms or {})


def test_pass_rate_below_uses_ci_high_by_default():
    # all traffic: 0.80 with Wilson [0.71, 0.87]
    assert _fire({"pass_rate_below": 0.85}) == []  # the mean is below, but not confidently
    fired = _fire({"pass_rate_below": 0.9})
    assert len(fired) == 1 and fired[0]["on"] == "ci_high" and fired[0]["slice"] == "all"
    assert _fire({"pass_rate_below": 0.85, "on": "mean"})[0]["value"] == 0.8


def test_rate_above_uses_ci_low_and_slices():
    # de refuses 12/40 = 0.30 (Wilson low 0.18); en 1/60
    fired = _fire({"refusal_rate_above": 0.1, "slice": "locale"})
    assert [a["slice"] for a in fired] == ["locale=de"]
    assert _fire({"refusal_rate_above": 0.2, "slice": "locale"}) == []  # 0.18 is not confidently above 0.2
    assert [a["slice"] for a in _fire({"refusal_rate_above": 0.1, "slice": "locale=de"})] == ["locale=de"]
    assert _fire({"refusal_rate_above": 0.1, "slice": "locale=it"}) == []  # no such slice this window
    assert _fire({"refusal_rate_above": 0.1}) == []  # all traffic: 0 refusals recorded at the top level


def test_no_data_never_alerts():
    assert _fire({"pass_rate_below": 0.5, "on": "mean", "slice": "locale=fr"}) == []
    assert _fire({"latency_above": 0.1}) == []  # no latency in this window


def test_drift_rule_at_its_own_alpha():
    entry = {"feature": "output_words", "psi": 0.3, "psi_threshold": 0.07, "bins": 10, "n_baseline": 1000,
             "n_window": 300, "p_value": 0.001, "p_adjusted": 0.003, "drifted": True}
    w = _window(drift=[entry])
    assert len(_fire({"drift": {"feature": "any"}}, w)) == 1
    assert len(_fire({"drift": {"feature": "output_words", "alpha": 0.05}}, w)) == 1
    assert _fire({"drift": {"feature": "output_words", "alpha": 0.001}}, w) == []  # p 0.003 not below
    assert _fire({"drift": {"feature": "latency_s"}}, w) == []


def test_pass_rate_drop_rules():
    change = {"baseline": proportion(90, 100).as_dict(), "diff": -0.1, "p_value": 0.02}
    w = _window(pass_rate_change=change)
    assert _fire({"pass_rate_drop": {}}, w, alarms={0: None}) == []
    fired = _fire({"pass_rate_drop": {}}, w, alarms={0: 1234})
    assert fired[0]["alarm_at"] == 1234 and fired[0]["method"] == "sequential"
    assert len(_fire({"pass_rate_drop": {"method": "window"}}, w)) == 1
    assert _fire({"pass_rate_drop": {"method": "window", "margin": 0.15}}, w) == []  # smaller than the margin
    assert _fire({"pass_rate_drop": {"method": "window", "alpha": 0.01}}, w) == []
    assert _fire({"pass_rate_drop": {"method": "window"}}, _window()) == []  # no baseline comparison
