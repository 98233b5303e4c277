"""pass@k (at least one of k draws passes) and pass^k (all k draws pass), per case and overall.

Both are unbiased estimators from n samples of which c passed (Chen et al. 2021 for pass@k;
tau-bench's pass^k), computed as products so large n never overflows a binomial
coefficient. The overall estimate averages the per-case values; its interval is `estimate`'s
for case means (pass/fail when every per-case value is 0 or 1, else the score interval with the
tail guard: per-case pass^k is skewed, and a symmetric t-interval covered 0.70 at 20 cases).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from gradeloop.errors import InputError
from gradeloop.stats.cases import check_level
from gradeloop.stats.estimate import Estimate, from_summary, summary_from_values


def _check(n: int, c: int, k: int, field: str = "counts") -> None:
    for name, value in (("n", n), ("c", c), ("k", k)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise InputError(f"{name} must be an integer, got {value!r}", field=field)
    if n < 1 or not 0 <= c <= n:
        raise InputError(f"need n >= 1 and 0 <= c <= n, got n={n}, c={c}", field=field)
    if not 1 <= k <= n:
        raise InputError(f"k must be between 1 and the number of samples n={n}, got {k}", field="k")


def pass_at_k(n: int, c: int, k: int) -> float:
    """P(at least one of k draws without replacement passes) = 1 - C(n-c, k) / C(n, k)."""
    _check(n, c, k)
    if n - c < k:
        return 1.0
    # C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i)
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1, dtype=float)))


def pass_hat_k(n: int, c: int, k: int) -> float:
    """P(all k draws without replacement pass) = C(c, k) / C(n, k)."""
    _check(n, c, k)
    if c < k:
        return 0.0
    i = np.arange(k, dtype=float)
    return float(np.prod((c - i) / (n - i)))


def _estimate_counts(per_case_counts: Sequence[tuple[int, int]], k: int, level: float,
                     fn: Callable[[int, int, int], float]) -> Estimate:
    level = check_level(level)
    values: list[float] = []
    total = 0
    for i, pair in enumerate(per_case_counts):
        if not isinstance(pair, Sequence) or isinstance(pair, (str, bytes)) or len(pair) != 2:
            raise InputError(f"expected (n, c), got {pair!r}", field=f"per_case_counts[{i}]")
        n, c = pair
        try:
            values.append(fn(n, c, k))
        except InputError as exc:
            field = exc.field if exc.field == "k" else f"per_case_counts[{i}]"
            raise InputError(exc.message, field=field) from None
        total += int(n)
    return from_summary(summary_from_values(values, total), level)


def estimate_pass_at_k(per_case_counts: Sequence[tuple[int, int]], k: int,
                       level: float = 0.95) -> Estimate:
    """Mean pass@k over cases, each given as (n samples, c passed), with a CI over cases."""
    return _estimate_counts(per_case_counts, k, level, pass_at_k)


def estimate_pass_hat_k(per_case_counts: Sequence[tuple[int, int]], k: int,
                        level: float = 0.95) -> Estimate:
    """Mean pass^k over cases, each given as (n samples, c passed), with a CI over cases."""
    return _estimate_counts(per_case_counts, k, level, pass_hat_k)
