"""Calibrators fitted on one split reduce ECE on another, and survive a JSON round trip."""
from __future__ import annotations

import json

import numpy as np
import pytest

from gradeloop.calibrate import Calibrator, compare_calibrator, fit_calibrator, split_by_case
from gradeloop.calibrate.metrics import ece
from gradeloop.errors import InputError


def _overconfident(n: int, seed: int):
    rng = np.random.default_rng(seed)
    p_true = rng.uniform(0.3, 0.97, n)
    correct = rng.uniform(size=n) < p_true
    logit = np.log(p_true / (1 - p_true))
    conf = 1 / (1 + np.exp(-(2.5 * logit + 0.5)))  # overconfident (temperature 0.4) and shifted up
    return conf, correct


@pytest.mark.parametrize("kind", ["temperature", "platt", "isotonic"])
def test_calibrator_reduces_held_out_ece(kind):
    conf, correct = _overconfident(4000, 0)
    test_conf, test_correct = _overconfident(4000, 1)
    cal = fit_calibrator(kind, conf, correct)
    before = ece(test_conf, test_correct.astype(float))
    after = ece(cal.predict(test_conf), test_correct.astype(float))
    assert before > 0.15
    assert after < before / 2
    assert np.all((cal.predict(test_conf) >= 0) & (cal.predict(test_conf) <= 1))


def test_temperature_scaling_has_no_intercept_and_platt_does():
    conf, correct = _overconfident(2000, 4)
    assert fit_calibrator("temperature", conf, correct).params["intercept"] == 0.0
    assert fit_calibrator("platt", conf, correct).params["intercept"] != 0.0


@pytest.mark.parametrize("kind", ["platt", "isotonic"])
def test_save_load_round_trip_predicts_the_same(tmp_path, kind):
    conf, correct = _overconfident(1000, 2)
    cal = fit_calibrator(kind, conf, correct)
    path = tmp_path / "cal.json"
    cal.save(path)
    assert json.loads(path.read_text())["schema"] == "gradeloop.calibrator/v1"
    loaded = Calibrator.load(path)
    grid = np.linspace(0, 1, 101)
    assert np.allclose(loaded.predict(grid), cal.predict(grid))


@pytest.mark.parametrize("text, field", [
    ("{not json", None),
    ('{"schema": "gradeloop.calibrator/v1", "kind": "magic", "params": {}}', "kind"),
    ('{"schema": "gradeloop.calibrator/v1", "kind": "platt", "params": {"slope": "x", "intercept": 0}}',
     "params.slope"),
    ('{"schema": "gradeloop.calibrator/v1", "kind": "isotonic", "params": {"x": [0.5, 0.1], "y": [0, 1]}}',
     "params.x"),
])
def test_bad_calibrator_file_names_file_and_field(tmp_path, text, field):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        Calibrator.load(path)
    assert err.value.file == str(path) and err.value.field == field


def test_fit_needs_both_outcomes():
    with pytest.raises(InputError):
        fit_calibrator("platt", [0.2, 0.9, 0.5], [1, 1, 1])


def test_split_by_case_keeps_cases_whole_and_is_seeded():
    ids = np.repeat(np.array([f"c{i}" for i in range(50)], dtype=object), 3)
    fit, held = split_by_case(ids, 0.4, seed=7)
    assert not set(ids[fit]) & set(ids[held])
    assert len(set(ids[fit])) == 20
    again, _ = split_by_case(ids, 0.4, seed=7)
    assert (fit == again).all()
    other, _ = split_by_case(ids, 0.4, seed=8)
    assert not (fit == other).all()


def test_compare_reports_before_and_after_on_held_out_cases():
    conf, correct = _overconfident(3000, 3)
    ids = np.repeat(np.arange(1000), 3)
    cmp = compare_calibrator("isotonic", conf, correct, ids, fit_fraction=0.5, n_boot=50)
    assert cmp.n_fit_cases + cmp.n_eval_cases == 1000
    assert cmp.after.ece.mean < cmp.before.ece.mean
    assert cmp.before.n == cmp.after.n == 3 * cmp.n_eval_cases
