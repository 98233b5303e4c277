"""Coverage of 95% intervals for a mean over clustered samples, by seeded simulation (prints, never asserts).

Compares, side by side on the same simulated data sets:

- naive: the unclustered normal interval, every sample treated as independent;
- Miller: the clustered normal interval of Miller 2024 (what Inspect AI reports),
  mean of case means +- 1.96 sd(case means) / sqrt(n);
- old: gradeloop's interval before issue 11 (Wilson on n_eff = n p(1-p)/var0 for pass/fail,
  clipped t-interval on case means for scores);
- gradeloop: `stats.estimate`'s interval as shipped, through `interval_rows`, the vectorised
  form of exactly what `estimate` computes.

Model: case c has a true mean p_c ~ Beta(mu * s, (1 - mu) * s). Pass/fail samples are
Bernoulli(p_c); scores are Beta(2 p_c, 2 (1 - p_c)), continuous values in (0, 1) spread
around p_c. s is set so that the intra-case correlation of one sample's value is ICC:
s = (1 - ICC) / ICC for pass/fail, 3 (1 - ICC) / ICC for scores. The truth is mu. The grid:
n cases in {10, 30, 100, 500} x K samples per case in {1, 4, 10} x mu in {0.05, 0.5, 0.95}
x ICC in {0.02, 0.5}. A pass^k section checks `estimate_pass_hat_k`'s interval the same way
(per-case pass^k from n_samples binomial draws, truth E[p^k] of the Beta).

Width is the mean interval width divided by Miller's. A cell is "well-behaved" when Miller's
interval already covers >= 0.93 there; the summary gives the widest gradeloop/Miller and
gradeloop/old ratios among those cells.

Run: .venv/bin/python bench/coverage.py [--reps 4000] [--seed 11] [--tail 0.8]
"""
from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np
from scipy import special

import gradeloop.stats.estimate  # noqa: F401  (the module, for --tail)
from gradeloop.stats.estimate import interval_rows

EST = sys.modules["gradeloop.stats.estimate"]  # `gradeloop.stats.estimate` the name is the function
Z = float(special.ndtri(0.975))
NS, KS, MUS, ICCS = (10, 30, 100, 500), (1, 4, 10), (0.05, 0.5, 0.95), (0.02, 0.5)
SCORE_SPREAD = 2.0  # scores ~ Beta(d p, d (1 - p)) with d = 2


def simulate(rng: np.random.Generator, reps: int, n: int, k: int, mu: float, icc: float,
             kind: str) -> np.ndarray:
    """reps x n x k sample values under the model of the module docstring."""
    d = SCORE_SPREAD
    s = ((d + 1.0) if kind == "score" else 1.0) * (1.0 - icc) / icc
    p = rng.beta(mu * s, (1.0 - mu) * s, size=(reps, n)).clip(1e-9, 1.0 - 1e-9)
    if kind == "pass/fail":
        return (rng.random((reps, n, k)) < p[..., None]).astype(float)
    return rng.beta(p[..., None] * d, (1.0 - p[..., None]) * d, size=(reps, n, k))


def _wilson(p, n, q):
    return EST._wilson(p, n, q)


def old_interval(means: np.ndarray, k: int, binary: bool) -> tuple[np.ndarray, np.ndarray]:
    """gradeloop's interval before issue 11, vectorised (for the 'old' column)."""
    reps, n = means.shape
    p = means.mean(axis=1)
    if binary:
        if k == 1:
            return _wilson(p, np.full(reps, float(n)), Z)
        var0, pq = means.var(axis=1), p * (1.0 - p)
        with np.errstate(divide="ignore", invalid="ignore"):
            n_eff = np.where(pq > 0, np.where(var0 > 0, n * pq / var0, np.inf), n)
        return _wilson(p, np.clip(n_eff, n, n * k), Z)
    half = float(special.stdtrit(n - 1, 0.975)) * means.std(axis=1, ddof=1) / math.sqrt(n)
    return np.maximum(0.0, p - half), np.minimum(1.0, p + half)


def cell(rng: np.random.Generator, reps: int, kind: str, n: int, k: int, mu: float,
         icc: float) -> dict[str, float]:
    x = simulate(rng, reps, n, k, mu, icc, kind)
    binary = kind == "pass/fail"
    means = x.mean(axis=2)
    p = means.mean(axis=1)
    se_naive = x.reshape(reps, -1).std(axis=1, ddof=1) / math.sqrt(n * k)
    se_miller = means.std(axis=1, ddof=1) / math.sqrt(n)
    intervals = {"naive": (p - Z * se_naive, p + Z * se_naive),
                 "miller": (p - Z * se_miller, p + Z * se_miller),
                 "old": old_interval(means, k, binary),
                 "gradeloop": interval_rows(means, k, binary)}
    miller_width = float(np.mean(2 * Z * se_miller))
    out: dict[str, float] = {}
    for name, (lo, hi) in intervals.items():
        out[f"{name}_cov"] = float(np.mean((lo <= mu) & (mu <= hi)))
        out[f"{name}_w"] = float(np.mean(hi - lo)) / miller_width if miller_width > 0 else math.nan
    return out


def pass_hat_k_cell(rng: np.random.Generator, reps: int, cases: int, a: float, b: float,
                    n_samples: int, k: int) -> dict[str, float]:
    """Coverage of the pass^k interval: old (clipped t) vs gradeloop (score interval)."""
    p = rng.beta(a, b, size=(reps, cases))
    c = rng.binomial(n_samples, p)
    v = np.where(c >= k, special.comb(c, k) / special.comb(n_samples, k), 0.0)
    truth = float(np.prod([(a + j) / (a + b + j) for j in range(k)]))
    lo_old, hi_old = old_interval(v, 1, False)
    binary_rows = np.all((v == 0.0) | (v == 1.0), axis=1)
    lo, hi = interval_rows(v, 1, False)
    if binary_rows.any():  # all-0/1 rows are pass/fail data, in both versions (old: plain Wilson)
        lo_b, hi_b = interval_rows(v[binary_rows], 1, True)
        lo_w, hi_w = old_interval(v[binary_rows], 1, True)
        lo, hi, lo_old, hi_old = lo.copy(), hi.copy(), lo_old.copy(), hi_old.copy()
        lo[binary_rows], hi[binary_rows] = lo_b, hi_b
        lo_old[binary_rows], hi_old[binary_rows] = lo_w, hi_w
    cover = lambda lo_, hi_: float(np.mean((lo_ <= truth) & (truth <= hi_)))  # noqa: E731
    return {"truth": truth, "old_cov": cover(lo_old, hi_old), "gradeloop_cov": cover(lo, hi),
            "w_vs_old": float(np.mean(hi - lo) / np.mean(hi_old - lo_old))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--tail", type=float, default=None, help="override the tail-guard constant (tuning)")
    args = ap.parse_args()
    if args.tail is not None:
        EST.TAIL = args.tail
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    print(f"95% intervals, {args.reps} data sets per cell, seed {args.seed}, tail guard {EST.TAIL}")
    print("coverage: naive | Miller | old | gradeloop;  width / Miller's: old | gradeloop\n")
    print("| data | n | K | mean | ICC | naive | Miller | old | gradeloop | w old | w gradeloop |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    rows = []
    for kind in ("pass/fail", "score"):
        for n in NS:
            for k in KS:
                for mu in MUS:
                    for icc in ICCS:
                        r = cell(rng, args.reps, kind, n, k, mu, icc)
                        rows.append((kind, n, k, mu, icc, r))
                        flag = " **" if r["gradeloop_cov"] < 0.93 else ""
                        print(f"| {kind} | {n} | {k} | {mu} | {icc} | {r['naive_cov']:.3f} | "
                              f"{r['miller_cov']:.3f} | {r['old_cov']:.3f} | {r['gradeloop_cov']:.3f}{flag} | "
                              f"{r['old_w']:.2f} | {r['gradeloop_w']:.2f} |", flush=True)
    print("\nsummary (all cells / pass-fail with K=1 left out: plain Wilson, unchanged):")
    for name in ("naive", "miller", "old", "gradeloop"):
        worst = min(rows, key=lambda row: row[5][f"{name}_cov"])
        print(f"  {name:9s} min coverage {worst[5][name + '_cov']:.3f} at {worst[:5]}; "
              f"cells below 0.93: {sum(row[5][name + '_cov'] < 0.93 for row in rows)} of {len(rows)}")
    good = [row for row in rows if row[5]["miller_cov"] >= 0.93]
    widest = max(good, key=lambda row: row[5]["gradeloop_w"])
    vs_old = max(good, key=lambda row: row[5]["gradeloop_w"] / row[5]["old_w"])
    print(f"  well-behaved cells (Miller >= 0.93): {len(good)}; widest gradeloop/Miller "
          f"{widest[5]['gradeloop_w']:.2f} at {widest[:5]}; widest gradeloop/old "
          f"{vs_old[5]['gradeloop_w'] / vs_old[5]['old_w']:.2f} at {vs_old[:5]}")
    over = [row for row in good if row[5]["gradeloop_w"] > 1.10]
    print(f"  well-behaved cells where gradeloop is > 10% wider than Miller: {len(over)}"
          + "".join(f"\n    {row[:5]} {row[5]['gradeloop_w']:.2f} (old {row[5]['old_w']:.2f})" for row in over))

    print("\npass^k (estimate_pass_hat_k): per-case pass^k from n_samples draws, p ~ Beta(a, b);")
    print("old: clipped t on the per-case values (plain Wilson when all are 0/1)\n")
    print("| cases | Beta(a, b) | samples | k | truth | old | gradeloop | width / old |")
    print("|--:|---|--:|--:|--:|--:|--:|--:|")
    for cases in (20, 100):
        for a, b, n_samples, k in ((2, 2, 10, 5), (1, 1, 10, 5), (0.5, 0.5, 10, 5), (1, 4, 10, 2),
                                   (3, 1, 10, 8), (5, 5, 10, 5), (5, 5, 10, 8), (4, 4, 8, 6), (2, 2, 20, 10)):
            r = pass_hat_k_cell(rng, args.reps, cases, a, b, n_samples, k)
            print(f"| {cases} | ({a}, {b}) | {n_samples} | {k} | {r['truth']:.3f} | {r['old_cov']:.3f} | "
                  f"{r['gradeloop_cov']:.3f} | {r['w_vs_old']:.2f} |", flush=True)
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
