"""pass@k and pass^k against brute-force combinatorics."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from gradeloop.errors import InputError
from gradeloop.stats import estimate_pass_at_k, estimate_pass_hat_k, pass_at_k, pass_hat_k


def brute(n: int, c: int, k: int) -> tuple[float, float]:
    samples = [1] * c + [0] * (n - c)
    draws = list(itertools.combinations(range(n), k))
    any_pass = sum(any(samples[i] for i in d) for d in draws) / len(draws)
    all_pass = sum(all(samples[i] for i in d) for d in draws) / len(draws)
    return any_pass, all_pass


@pytest.mark.parametrize("n", [1, 3, 6, 8])
def test_against_brute_force(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            at, hat = brute(n, c, k)
            assert pass_at_k(n, c, k) == pytest.approx(at)
            assert pass_hat_k(n, c, k) == pytest.approx(hat)


def test_k1_is_the_pass_rate_and_large_n_is_stable():
    assert pass_at_k(200, 37, 1) == pytest.approx(37 / 200)
    assert pass_hat_k(200, 37, 1) == pytest.approx(37 / 200)
    assert 0.0 < pass_at_k(100_000, 1, 10) < 1e-3
    assert pass_hat_k(100_000, 99_999, 50) == pytest.approx(1 - 50 / 100_000)


def test_invalid_counts_are_input_errors():
    with pytest.raises(InputError) as err:
        pass_at_k(5, 6, 1)
    assert err.value.field == "counts"
    with pytest.raises(InputError) as err:
        pass_at_k(5, 2, 6)
    assert err.value.field == "k"


def test_estimates_average_cases_then_clt():
    counts = [(10, 3), (10, 0), (10, 10), (5, 1)]
    est = estimate_pass_at_k(counts, 2)
    values = np.array([pass_at_k(n, c, 2) for n, c in counts])
    assert est.mean == pytest.approx(values.mean())
    assert est.stderr == pytest.approx(values.std(ddof=1) / 2)
    assert (est.n_cases, est.n_samples) == (4, 35)
    assert 0.0 <= est.ci_low <= est.mean <= est.ci_high <= 1.0
    hat = estimate_pass_hat_k(counts, 2)
    assert hat.mean == pytest.approx(np.mean([pass_hat_k(n, c, 2) for n, c in counts]))
    assert hat.mean < est.mean


def test_estimate_names_the_bad_case():
    with pytest.raises(InputError) as err:
        estimate_pass_at_k([(4, 1), (3, 5)], 2)
    assert err.value.field == "per_case_counts[1]"
    with pytest.raises(InputError) as err:
        estimate_pass_at_k([(4, 1), (3, 1)], 4)
    assert err.value.field == "k"
    assert estimate_pass_at_k([], 3).n_cases == 0
