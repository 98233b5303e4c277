"""Sequential gate vs fixed-size design on simulated paired pass/fail data (prints, never asserts).

Two models answer the same cases once each and disagree on ~20% of them. A fixed design
powered at 80% for the smallest regression worth catching (3 points) needs
`required_cases(0.03, 0.2)` cases. The betting gate (stats.SequentialPairedTest), checked after
every case, should decide a true 5-point regression in at most half of that, and keep its false
alarms at or under alpha when nothing regressed; a z-test re-checked every 100 cases does not.

Second table (issue 11): power at the suite's full size, side by side. 200 cases, a true
10-point drop, margin 0.02: the fixed `compare` decision (gate.judge_scopes), the betting test
alone over all 200 cases (the old gate), and the group-sequential gate (gate.sequential: betting
on 20% of alpha at every round of 25, compare's decision on the rest at the last look); plus
their false alarms (fail) and inconclusive rates when nothing changed.

Run: .venv/bin/python bench/sequential_gate.py [--streams 400] [--horizon 4000] [--seed 7]
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
from scipy import stats as sps

from gradeloop.gate import GatePolicy, ScopeData, judge_scopes
from gradeloop.gate.sequential import Design, final_look
from gradeloop.stats import SequentialPairedTest, required_cases

ALPHA = 0.05
DISAGREE = 0.20  # share of cases where the two models' pass/fail differ
WORTH_CATCHING = 0.03  # smallest regression the gate must catch (3 points)
TRUE_REGRESSION = 0.05


def paired_streams(rng: np.random.Generator, streams: int, n: int, delta: float) -> np.ndarray:
    """Per-case differences cand - base in {-1, 0, 1} with P(d != 0) = DISAGREE and mean delta."""
    up, down = (DISAGREE + delta) / 2.0, (DISAGREE - delta) / 2.0
    u = rng.random((streams, n))
    return np.where(u < up, 1.0, np.where(u < up + down, -1.0, 0.0))


def sequential(ds: np.ndarray, margin: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Decision and cases used for each stream (undecided streams use the whole horizon)."""
    decisions, used = [], []
    for row in ds:
        test = SequentialPairedTest(alpha=ALPHA, margin=margin)
        decisions.append(test.update_many(row.tolist()))
        used.append(test.n)
    return np.array(decisions), np.array(used)


def fixed_z(ds: np.ndarray, n: int) -> np.ndarray:
    """One-sided paired z-test for a regression at a fixed n: True where it fires."""
    d = ds[:, :n]
    z = d.mean(axis=1) / (d.std(axis=1, ddof=1) / math.sqrt(n))
    return z < sps.norm.ppf(ALPHA)


def peeking_z(ds: np.ndarray, every: int) -> np.ndarray:
    """The same z-test re-checked every `every` cases, stopping at the first alarm."""
    fired = np.zeros(ds.shape[0], dtype=bool)
    for n in range(every, ds.shape[1] + 1, every):
        fired |= fixed_z(ds, n)
    return fired


SUITE_CASES = 200
SUITE_DROP = 0.10
SUITE_MARGIN = 0.02
ROUND = 25


def suite_runs(rng: np.random.Generator, drop: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-case sample values (cases x k) of a baseline and a candidate `drop` points worse."""
    p = rng.choice([0.3, 0.5, 0.7, 0.85, 0.95], size=SUITE_CASES)
    q = np.clip(p - drop, 0.0, 1.0)
    q = q - (q.mean() - (p.mean() - drop))  # the drop is exact on average over the cases
    return ((rng.random((SUITE_CASES, k)) < p[:, None]).astype(float),
            (rng.random((SUITE_CASES, k)) < np.clip(q, 0, 1)[:, None]).astype(float))


def full_size_power(rng: np.random.Generator, streams: int, drop: float, k: int) -> dict[str, dict[str, float]]:
    """fail / inconclusive rates of the three designs over `streams` simulated suites."""
    policy = GatePolicy(alpha=ALPHA, margin=SUITE_MARGIN, slices="none")
    design = Design(alpha=ALPHA, margin=SUITE_MARGIN)
    out = {name: {"fail": 0.0, "inconclusive": 0.0, "cases": 0.0} for name in ("fixed", "betting", "sequential")}
    for _ in range(streams):
        b, c = suite_runs(rng, drop, k)
        d = c.mean(axis=1) - b.mean(axis=1)
        v = judge_scopes({"all": ScopeData(b.tolist(), c.tolist())}, policy, with_estimates=False)["all"]["verdict"]
        out["fixed"][v] = out["fixed"].get(v, 0.0) + 1
        out["fixed"]["cases"] += SUITE_CASES
        old = SequentialPairedTest(alpha=ALPHA, margin=SUITE_MARGIN)
        old.update_many(d.tolist())
        out["betting"]["fail"] += old.decision == "regression"
        out["betting"]["cases"] += old.n
        test = design.betting_test()
        used = SUITE_CASES
        for start in range(0, SUITE_CASES, ROUND):  # looks at the end of every round
            test.update_many(d[start:start + ROUND].tolist())
            if test.decision != "continue":
                used = start + ROUND
                break
        out["sequential"]["cases"] += used
        if test.decision == "regression":
            out["sequential"]["fail"] += 1
        elif test.decision == "continue":
            v = final_look(b.tolist(), c.tolist(), policy, design)["verdict"]
            out["sequential"][v] = out["sequential"].get(v, 0.0) + 1
    return {name: {key: val / streams for key, val in r.items()} for name, r in out.items()}


def print_full_size(rng: np.random.Generator, streams: int) -> None:
    print(f"\npower at the full suite size: {SUITE_CASES} cases, margin {SUITE_MARGIN}, alpha {ALPHA}, "
          f"{streams} simulated suites per row, looks every {ROUND} cases")
    header = ("samples/case", "truth", "fixed compare", "betting alone (old)", "group-sequential (new)",
              "new/fixed", "mean cases (new)")
    rows = []
    for k in (1, 4):
        for drop, what in ((SUITE_DROP, "10-pt drop: power"), (0.0, "no change: false alarms")):
            r = full_size_power(rng, streams, drop, k)
            ratio = r["sequential"]["fail"] / r["fixed"]["fail"] if r["fixed"]["fail"] else float("nan")
            rows.append((str(k), what, f"{r['fixed']['fail']:.3f} (+{r['fixed'].get('inconclusive', 0):.3f} inc.)",
                         f"{r['betting']['fail']:.3f}",
                         f"{r['sequential']['fail']:.3f} (+{r['sequential'].get('inconclusive', 0):.3f} inc.)",
                         f"{ratio:.2f}" if drop else "–", f"{r['sequential']['cases']:.0f}"))
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", type=int, default=400)
    ap.add_argument("--horizon", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()

    n_fixed = required_cases(WORTH_CATCHING, DISAGREE, alpha=ALPHA, power=0.8, one_sided=True)
    print(f"fixed design: required_cases(effect={WORTH_CATCHING}, var(d)={DISAGREE}, alpha={ALPHA}, "
          f"power=0.8, one-sided) = {n_fixed} cases")
    print(f"{args.streams} simulated streams per row, horizon {args.horizon} cases, seed {args.seed}\n")

    null = paired_streams(rng, args.streams, args.horizon, 0.0)
    small = paired_streams(rng, args.streams, args.horizon, -WORTH_CATCHING)
    real = paired_streams(rng, args.streams, args.horizon, -TRUE_REGRESSION)

    rows: list[tuple[str, str, str, str]] = []
    for name, ds in (("fixed z-test, no regression", null), ("fixed z-test, 3-pt regression", small),
                     ("fixed z-test, 5-pt regression", real)):
        rate = fixed_z(ds, n_fixed).mean()
        rows.append((name, f"{n_fixed}", f"{rate:.3f}", "false alarms" if ds is null else "power"))

    dec, used = sequential(real)
    caught = dec == "regression"
    rows.append(("sequential, 5-pt regression", f"median {int(np.median(used))} "
                 f"({np.median(used) / n_fixed:.0%} of fixed)", f"{caught.mean():.3f}", "power"))
    rows.append(("  (same streams)", f"p75 {int(np.percentile(used, 75))}",
                 f"{(used > n_fixed).mean():.3f}", f"needed > {n_fixed}"))
    dec, used = sequential(small)
    rows.append(("sequential, 3-pt regression", f"median {int(np.median(used))}",
                 f"{(dec == 'regression').mean():.3f}", "power"))
    dec, used = sequential(null)
    rows.append(("sequential, no regression", f"up to {args.horizon}",
                 f"{(dec == 'regression').mean():.3f}", "false alarms"))
    dec, used = sequential(null, margin=WORTH_CATCHING)
    ok = dec == "no_regression"
    rows.append((f"sequential margin {WORTH_CATCHING}, no regr.", f"median {int(np.median(used))}",
                 f"{ok.mean():.3f}", "said no_regression"))
    rows.append(("z-test every 100, no regression", f"up to {args.horizon}",
                 f"{peeking_z(null, 100).mean():.3f}", "false alarms"))

    widths = [max(len(r[i]) for r in rows + [("design", "cases", "rate", "what")]) for i in range(4)]
    header = ("design", "cases", "rate", "what")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print_full_size(rng, args.streams)
    se = math.sqrt(ALPHA * (1 - ALPHA) / args.streams)
    print(f"\n(simulation standard error of a rate near alpha: {se:.3f}; "
          f"wall time {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
