"""Paired comparison: McNemar, Newcombe, t and sign-flip tests against reference computations."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from gradeloop.errors import InputError
from gradeloop.stats import paired_difference


def paired_table(both: int, cand_only: int, base_only: int, neither: int) -> tuple[list, list]:
    """Per-case single samples (base, cand) realising a 2x2 paired table."""
    pairs = [(1, 1)] * both + [(0, 1)] * cand_only + [(1, 0)] * base_only + [(0, 0)] * neither
    return [[b] for b, _ in pairs], [[c] for _, c in pairs]


def test_mcnemar_exact_p_values_match_the_binomial_test():
    base, cand = paired_table(40, 4, 12, 44)
    res = paired_difference(base, cand)
    assert res.method.startswith("mcnemar_exact")
    assert res.n_discordant == 16
    assert res.diff.mean == pytest.approx(-8 / 100)
    assert res.p_value_two_sided == pytest.approx(sps.binomtest(4, 16, 0.5).pvalue)
    assert res.p_value_less == pytest.approx(sps.binom.cdf(4, 16, 0.5))
    assert res.p_value_greater == pytest.approx(sps.binom.sf(3, 16, 0.5))
    assert res.p_value_less < 0.05 < res.p_value_greater


def test_newcombe_interval_matches_published_example():
    # Cavo et al. 2012 as in R contingencytables::Newcombe_square_and_add_CI_paired_2x2:
    # table [[59, 6], [16, 80]] -> estimate -0.0621, 95% CI -0.1186 to -0.0046
    base, cand = paired_table(59, 6, 16, 80)
    res = paired_difference(base, cand)
    assert res.diff.mean == pytest.approx(-0.0621, abs=5e-5)
    assert res.diff.ci_low == pytest.approx(-0.1186, abs=5e-5)
    assert res.diff.ci_high == pytest.approx(-0.0046, abs=5e-5)


def test_no_discordance_is_not_a_degenerate_interval():
    base, cand = paired_table(20, 0, 0, 0)
    res = paired_difference(base, cand)
    assert res.p_value_two_sided == res.p_value_less == res.p_value_greater == 1.0
    assert -1.0 <= res.diff.ci_low < 0.0 < res.diff.ci_high <= 1.0


def test_newcombe_coverage_on_simulated_paired_data():
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(400):
        base = (rng.random(40) < 0.7).astype(float)
        flip = rng.random(40) < 0.25  # candidate differs on a quarter of cases
        cand = np.where(flip, rng.random(40) < 0.6, base).astype(float)
        truth = 0.25 * (0.6 - 0.7)
        res = paired_difference(base[:, None].tolist(), cand[:, None].tolist())
        hits += res.diff.ci_low <= truth <= res.diff.ci_high
    assert hits / 400 >= 0.92


def test_large_n_scores_use_the_paired_t_test():
    rng = np.random.default_rng(12)
    base = rng.random((120, 3))
    cand = np.clip(base + rng.normal(0.03, 0.1, size=(120, 3)), 0, 1)
    res = paired_difference(base.tolist(), cand.tolist())
    b, c = base.mean(axis=1), cand.mean(axis=1)
    d = c - b
    assert res.method.startswith("paired_t")
    assert res.diff.mean == pytest.approx(d.mean())
    assert res.diff.stderr == pytest.approx(d.std(ddof=1) / math.sqrt(120))
    for alt, p in (("two-sided", res.p_value_two_sided), ("less", res.p_value_less),
                   ("greater", res.p_value_greater)):
        assert p == pytest.approx(sps.ttest_rel(c, b, alternative=alt).pvalue)
    half = sps.t.ppf(0.975, 119) * res.diff.stderr
    assert (res.diff.ci_low, res.diff.ci_high) == (pytest.approx(d.mean() - half), pytest.approx(d.mean() + half))


def test_small_n_uses_the_exact_sign_flip_test():
    d = np.array([0.3, -0.1, 0.25, 0.4, 0.05, -0.2, 0.35, 0.15, 0.1, 0.2])
    base = np.full(10, 0.5)
    res = paired_difference([[b] for b in base], [[b + x] for b, x in zip(base, d)])
    assert res.method.startswith("sign_flip_permutation")
    # reference: enumerate all 2^10 sign assignments
    means = np.array([np.mean(d * s) for s in itertools.product((1, -1), repeat=10)])
    obs = d.mean()
    eps = 1e-12
    assert res.p_value_greater == pytest.approx(np.mean(means >= obs - eps))
    assert res.p_value_less == pytest.approx(np.mean(means <= obs + eps))
    assert res.p_value_two_sided == pytest.approx(np.mean(np.abs(means) >= abs(obs) - eps))


def test_clustered_binary_samples_get_newcombe_with_effective_sizes():
    rng = np.random.default_rng(13)
    base = (rng.random((60, 4)) < 0.6).astype(float)
    cand = (rng.random((60, 4)) < 0.5).astype(float)
    res = paired_difference(base.tolist(), cand.tolist())
    assert res.method == "paired_t; newcombe interval"
    assert res.diff.ci_low < res.diff.mean < res.diff.ci_high
    assert res.diff.n_samples == 480


def test_identical_nonzero_differences_and_empty_input():
    res = paired_difference([[0.2]] * 40, [[0.5]] * 40)
    assert res.p_value_greater == pytest.approx(0.5 ** 40)
    assert res.p_value_less == 1.0
    empty = paired_difference([], [])
    assert (empty.method, empty.p_value_two_sided, empty.diff.n_cases) == ("empty", 1.0, 0)


def test_misaligned_runs_are_input_errors():
    with pytest.raises(InputError) as err:
        paired_difference([[1], [0]], [[1]])
    assert err.value.field == "cand"
    with pytest.raises(InputError) as err:
        paired_difference([[1], [0]], [[1], [2]])
    assert err.value.field == "cand[1][0]"


def test_as_dict_shape():
    base, cand = paired_table(5, 3, 1, 1)
    d = paired_difference(base, cand).as_dict()
    assert set(d) == {"diff", "p_value_two_sided", "p_value_less", "p_value_greater", "method",
                      "n_discordant"}
    assert set(d["diff"]) >= {"mean", "stderr", "ci_low", "ci_high", "n_cases", "n_samples"}
