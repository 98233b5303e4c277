"""Calibration metrics against hand-computed values and independent re-implementations."""
from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from gradeloop.calibrate.metrics import auroc_rank, calibration_report, ece, ece_plugin, reliability
from gradeloop.errors import InputError


def _ece_loop(conf, correct, bins):
    """Equal-mass ECE written as a plain loop over sorted pairs."""
    pairs = sorted(zip(conf, correct), key=lambda p: p[0])
    n = len(pairs)
    size, extra = divmod(n, bins)
    total, start = 0.0, 0
    for b in range(bins):
        chunk = pairs[start:start + size + (1 if b < extra else 0)]
        start += len(chunk)
        c = sum(p[0] for p in chunk) / len(chunk)
        a = sum(p[1] for p in chunk) / len(chunk)
        total += len(chunk) / n * abs(a - c)
    return total


def _aurc_loop(conf, correct):
    """Geifman's AURC without ties: mean over k of the error rate of the k most confident."""
    ranked = sorted(zip(conf, correct), key=lambda p: -p[0])
    errs, total = 0, 0.0
    for k, (_, ok) in enumerate(ranked, start=1):
        errs += 0 if ok else 1
        total += errs / k
    return total / len(ranked)


def test_hand_computed_small_example():
    # bins {0.2, 0.4}: conf 0.3, acc 0.5; {0.6, 0.8}: conf 0.7, acc 1.0 -> ECE 0.5*0.2 + 0.5*0.3
    r = calibration_report([0.2, 0.4, 0.6, 0.8], [0, 1, 1, 1], bins=2, n_boot=0)
    assert r.ece_plugin.mean == pytest.approx(0.25)
    assert r.brier.mean == pytest.approx((0.04 + 0.36 + 0.16 + 0.04) / 4)
    assert r.auroc.mean == pytest.approx(1.0)
    assert r.aurc.mean == pytest.approx((0 + 0 + 0 + 0.25) / 4)
    # debiased (the default `ece`): 0.5*(0.2^2 - 0.25/1) + 0.5*(0.3^2 - 0) < 0 -> clipped to 0
    assert r.ece.mean == 0.0 and r.ece_debiased.mean == 0.0
    assert [(b.count, b.accuracy) for b in r.reliability] == [(2, 0.5), (2, 1.0)]


def test_metrics_match_independent_computations():
    rng = np.random.default_rng(3)
    conf = rng.uniform(0, 1, 503)
    correct = (rng.uniform(size=503) < conf ** 2).astype(int)
    r = calibration_report(conf, correct, bins=7, n_boot=0)
    assert r.ece_plugin.mean == pytest.approx(_ece_loop(conf, correct, 7))
    assert r.brier.mean == pytest.approx(sum((c - y) ** 2 for c, y in zip(conf, correct)) / 503)
    assert r.auroc.mean == pytest.approx(roc_auc_score(correct, conf))
    assert r.aurc.mean == pytest.approx(_aurc_loop(conf, correct))


def test_debiased_ece_matches_kumar_formula():
    rng = np.random.default_rng(5)
    conf = rng.uniform(0.5, 1, 400)
    correct = (rng.uniform(size=400) < conf - 0.2).astype(int)
    r = calibration_report(conf, correct, bins=4, n_boot=0)
    order = np.argsort(conf, kind="stable")
    total = 0.0
    for chunk in np.array_split(order, 4):
        a, c = correct[chunk].mean(), conf[chunk].mean()
        total += len(chunk) / 400 * ((a - c) ** 2 - a * (1 - a) / (len(chunk) - 1))
    assert r.ece.mean == pytest.approx(math.sqrt(total))
    assert r.ece.mean > 0.1  # a 0.2 overconfidence gap is clearly detected


def test_debiased_ece_is_below_plain_ece_on_calibrated_data():
    rng = np.random.default_rng(11)
    conf = rng.uniform(0, 1, 300)
    correct = (rng.uniform(size=300) < conf).astype(int)
    r = calibration_report(conf, correct, bins=15, n_boot=0)
    assert r.ece.mean < r.ece_plugin.mean


def test_ties_share_a_bin_so_row_order_does_not_matter():
    """Issue 11: ece([.5,.9,.9,.9],[0,1,1,0],bins=2) was 0.30, reordered 0.40."""
    conf = [0.5, 0.9, 0.9, 0.9]
    assert ece_plugin(conf, [0, 1, 1, 0], bins=2) == pytest.approx(0.30)
    assert ece_plugin(conf, [0, 0, 1, 1], bins=2) == pytest.approx(0.30)
    assert ece_plugin(conf[::-1], [1, 1, 0, 0], bins=2) == pytest.approx(0.30)
    assert [b.count for b in reliability(conf, [0, 0, 1, 1], bins=2)] == [1, 3]
    rng = np.random.default_rng(12)
    conf = np.round(rng.uniform(size=400), 1)  # 11 distinct values, many ties
    correct = (rng.uniform(size=400) < conf).astype(int)
    base = calibration_report(conf, correct, bins=8, n_boot=50, seed=3)
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(400)
        again = calibration_report(conf[order], correct[order], bins=8, n_boot=0)
        assert again.ece_plugin.mean == pytest.approx(base.ece_plugin.mean)
        assert again.ece.mean == pytest.approx(base.ece.mean)
    for b in base.reliability:  # no confidence value straddles two bins
        assert sum(lo <= b.conf_low <= hi or lo <= b.conf_high <= hi
                   for lo, hi in ((o.conf_low, o.conf_high) for o in base.reliability)) == 1


def test_debiased_ece_is_the_default_and_its_interval_reaches_zero_when_calibrated():
    """Issue 11: the plug-in ECE's bootstrap interval never covers 0 for a calibrated signal."""
    rng = np.random.default_rng(13)
    reps, plugin_zero, debiased_zero = 20, 0, 0
    for i in range(reps):
        conf = rng.uniform(size=200)
        correct = (rng.uniform(size=200) < conf).astype(int)  # perfectly calibrated
        r = calibration_report(conf, correct, bins=10, n_boot=120, seed=i)
        plugin_zero += r.ece_plugin.ci_low <= 0.0
        debiased_zero += r.ece.ci_low <= 0.0
        assert r.ece.ci_low <= r.ece.mean <= r.ece.ci_high
    assert plugin_zero == 0
    assert debiased_zero / reps >= 0.85
    assert ece(conf, correct) == r.ece.mean and ece(conf, correct, debiased=False) == r.ece_plugin.mean
    # a 0.2 overconfidence gap: the debiased interval stays clear of 0
    conf = rng.uniform(0.5, 1, 400)
    miscal = calibration_report(conf, (rng.uniform(size=400) < conf - 0.2).astype(int), n_boot=120)
    assert miscal.ece.ci_low > 0.1


def test_rank_auroc_equals_sklearn_with_ties():
    rng = np.random.default_rng(0)
    conf = np.round(rng.uniform(size=200), 1)  # many ties
    correct = (rng.uniform(size=200) < conf).astype(float)
    assert auroc_rank(conf, correct) == pytest.approx(roc_auc_score(correct, conf))


def test_aurc_does_not_depend_on_the_order_of_ties():
    conf = np.array([0.9, 0.9, 0.9, 0.5, 0.5])
    a = calibration_report(conf, [1, 1, 0, 0, 1], n_boot=0).aurc.mean
    b = calibration_report(conf, [0, 1, 1, 1, 0], n_boot=0).aurc.mean
    assert a == pytest.approx(b)
    # tie group of 3 with 1 error (risk 1/3), then all 5 with 2 errors (risk 2/5)
    assert a == pytest.approx((3 * (1 / 3) + 2 * (2 / 5)) / 5)


def test_risk_coverage_curve_ends_at_full_coverage_and_overall_error():
    rng = np.random.default_rng(1)
    conf = rng.uniform(size=1000)
    correct = rng.uniform(size=1000) < conf
    r = calibration_report(conf, correct, n_boot=0)
    last = r.risk_coverage[-1]
    assert last.coverage == 1.0 and last.risk == pytest.approx(1 - correct.mean())
    assert len(r.risk_coverage) <= 201
    assert all(a.coverage < b.coverage for a, b in zip(r.risk_coverage, r.risk_coverage[1:]))
    assert sum(b.count for b in r.reliability) == 1000


def test_bootstrap_resamples_cases_not_samples():
    # 40 cases of 10 identical samples: the effective sample size is 40, not 400
    rng = np.random.default_rng(2)
    conf = np.repeat(rng.uniform(size=40), 10)
    correct = np.repeat(rng.uniform(size=40) < 0.6, 10)
    by_case = calibration_report(conf, correct, np.repeat(np.arange(40), 10), n_boot=300).brier
    by_sample = calibration_report(conf, correct, None, n_boot=300).brier
    assert by_case.n_cases == 40 and by_case.n_samples == 400 and by_sample.n_cases == 400
    assert (by_case.ci_high - by_case.ci_low) > 2 * (by_sample.ci_high - by_sample.ci_low)
    assert by_case.ci_low <= by_case.mean <= by_case.ci_high


def test_auroc_is_none_with_one_class_and_json_stays_valid():
    r = calibration_report([0.2, 0.7, 0.9], [1, 1, 1], n_boot=20)
    assert r.auroc is None
    d = r.as_dict()
    assert d["auroc"] is None and d["schema"] == "gradeloop.calibration/v1"


@pytest.mark.parametrize("conf, correct", [([0.5, 1.2], [1, 0]), ([0.5], [1, 0]), ([], []), ([0.5], [2])])
def test_bad_input_is_an_input_error(conf, correct):
    with pytest.raises(InputError):
        calibration_report(conf, correct, n_boot=0)
