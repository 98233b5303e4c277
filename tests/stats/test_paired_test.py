"""One method per decision: the interval shown agrees with the test that decides (issue 11)."""
from __future__ import annotations

import numpy as np
import pytest

from gradeloop.errors import InputError
from gradeloop.stats.paired_test import shift_test


def test_collapsed_four_cases_cannot_be_shown_by_the_exact_test():
    res = shift_test([[1.0]] * 4, [[0.0]] * 4, alpha=0.05)
    assert res.p_value_less == pytest.approx(1 / 16)  # exact McNemar / sign-flip: 2^-4 > 0.05
    assert not res.drop_shown and res.diff.ci_high >= 0  # so the interval does not exclude 0 either
    assert res.diff.mean == -1.0 and res.method.startswith("sign_flip_exact")


def test_five_collapsed_cases_are_shown():
    res = shift_test([[1.0]] * 5, [[0.0]] * 5, alpha=0.05)
    assert res.p_value_less == pytest.approx(1 / 32) and res.drop_shown and res.diff.ci_high < 0


@pytest.mark.parametrize("n,k,alpha", [(8, 1, 0.05), (12, 3, 0.01), (24, 4, 0.05), (40, 2, 0.0125), (200, 4, 0.05)])
def test_interval_side_of_zero_is_the_test_decision(n, k, alpha):
    rng = np.random.default_rng(n * 100 + k)
    for _ in range(40):
        p = rng.uniform(0.1, 0.9, size=n)
        shift = rng.choice([0.0, -0.1, -0.3, 0.2])
        b = (rng.random((n, k)) < p[:, None]).astype(float)
        c = (rng.random((n, k)) < np.clip(p + shift, 0, 1)[:, None]).astype(float)
        res = shift_test(b.tolist(), c.tolist(), alpha)
        assert (res.p_value_less <= alpha) == (res.diff.ci_high < 0)
        assert (res.p_value_greater <= alpha) == (res.diff.ci_low > 0)
        assert res.diff.ci_low <= res.diff.mean <= res.diff.ci_high
        assert res.diff.level == pytest.approx(1 - 2 * alpha)


def test_sparse_discordance_uses_the_exact_test_not_t():
    # 200 cases, 3 of them flipped to fail: t would call this significant, the exact test does not
    base = [[1.0]] * 200
    cand = [[0.0]] * 3 + [[1.0]] * 197
    res = shift_test(base, cand, 0.05)
    assert res.method.startswith("sign_flip")
    assert res.p_value_less == pytest.approx(1 / 8, abs=0.01) and not res.drop_shown


def test_bad_alpha_is_an_input_error():
    with pytest.raises(InputError):
        shift_test([[1.0]], [[1.0]], 0.7)
