"""`judge validate` on a constructed labelled set, and how often its intervals cover the truth.

A judge with known error rates (TPR, TNR) grades samples whose true verdict is known; a reviewer's
label says whether each grade is right. Part 1 runs the real path once — a store with a run,
labels written by `add_label`, `labels export`, `validate_grader` — and prints κ, TPR, TNR with
intervals next to the population values. Part 2 repeats the draw many times (labels built in
memory) and counts how often each 95% interval covers the population value.

    .venv/bin/python bench/judge_validation.py [--cases 150] [--samples 2] [--reps 400]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from gradeloop.labels import Label, add_label, export_labels, latest_labels, read_labels_file, validate_grader  # noqa: E402
from gradeloop.run.store import Store  # noqa: E402


def population_kappa(base_rate: float, tpr: float, tnr: float) -> float:
    """κ of a judge with these rates on a population where `base_rate` of the verdicts are passes."""
    pj = base_rate * tpr + (1 - base_rate) * (1 - tnr)
    po = base_rate * tpr + (1 - base_rate) * tnr
    pe = pj * base_rate + (1 - pj) * (1 - base_rate)
    return (po - pe) / (1 - pe)


def draw(rng: np.random.Generator, cases: int, samples: int, base_rate: float, tpr: float, tnr: float):
    """(truth, judge) per sample; a case's samples share a case difficulty (clustered like real runs)."""
    p_case = np.clip(rng.beta(base_rate * 4, (1 - base_rate) * 4, size=cases), 0, 1)
    truth = rng.random((cases, samples)) < p_case[:, None]
    judge = np.where(truth, rng.random(truth.shape) < tpr, rng.random(truth.shape) >= tnr)
    return truth, judge


def labels_of(truth: np.ndarray, judge: np.ndarray, grader: str = "judge") -> list[Label]:
    out = []
    for c in range(truth.shape[0]):
        for s in range(truth.shape[1]):
            out.append(Label("r", "s", f"c{c}", s, grader, bool(judge[c, s]),
                             "right" if judge[c, s] == truth[c, s] else "wrong", "", "bench", 0.0))
    return out


def real_path(cases: int, samples: int, base_rate: float, tpr: float, tnr: float) -> None:
    from tests.view.storebuild import add_run

    rng = np.random.default_rng(7)
    truth, judge = draw(rng, cases, samples, base_rate, tpr, tnr)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "s.db")
        verdicts = {("s", f"c{c}"): [bool(v) for v in truth[c]] for c in range(cases)}
        add_run(store, "r", verdicts)
        # the run's `contains` grade keeps the truth; its `judge` grade becomes the simulated judge's
        for c in range(cases):
            for s in range(samples):
                row = store.db.execute("SELECT grades FROM samples WHERE run_id='r' AND case_id=? AND sample_index=?",
                                       (f"c{c}", s)).fetchone()
                grades = json.loads(row[0])
                grades[1]["passed"] = bool(judge[c, s])
                store.db.execute("UPDATE samples SET grades=? WHERE run_id='r' AND case_id=? AND sample_index=?",
                                 (json.dumps(grades), f"c{c}", s))
        store.db.commit()
        for c in range(cases):
            for s in range(samples):
                add_label(store, "r", "s", f"c{c}", s, "judge",
                          "right" if judge[c, s] == truth[c, s] else "wrong", who="bench")
        path = Path(tmp) / "labels.jsonl"
        path.write_text(export_labels(latest_labels(store, "r")))
        store.close()
        r = validate_grader(read_labels_file(path), "judge", min_kappa=0.5)
    k = population_kappa(float(truth.mean()), tpr, tnr)
    print(f"constructed set: {cases} cases × {samples} samples, judge TPR {tpr}, TNR {tnr}; "
          f"humans pass {truth.mean():.1%}")
    print("| figure | population | measured [95% CI] |")
    print("|---|--:|---|")
    for name, pop, x in (("Cohen's κ", k, r.kappa), ("TPR", tpr, r.tpr), ("TNR", tnr, r.tnr)):
        print(f"| {name} | {pop:.3f} | {x.value:.3f} [{x.ci_low:.3f}, {x.ci_high:.3f}] |")
    print(f"verdict at --min-kappa 0.5: {r.verdict} (confusion {r.confusion})")


def coverage(cases: int, samples: int, reps: int) -> None:
    print(f"\ncoverage of the 95% intervals over {reps} labelled sets of {cases} cases × {samples} samples")
    print("| base rate | TPR | TNR | κ covered | TPR covered | TNR covered | κ CI width |")
    print("|--:|--:|--:|--:|--:|--:|--:|")
    for base_rate, tpr, tnr in ((0.5, 0.9, 0.8), (0.7, 0.95, 0.6), (0.3, 0.8, 0.95)):
        rng = np.random.default_rng(11)
        hits = np.zeros(3)
        widths = []
        for _ in range(reps):
            truth, judge = draw(rng, cases, samples, base_rate, tpr, tnr)
            r = validate_grader(labels_of(truth, judge), "judge", resamples=1000)
            # κ's population value depends on the realised base rate: score it against the draw's own
            k_here = population_kappa(float(truth.mean()), tpr, tnr)
            hits[0] += r.kappa.ci_low <= k_here <= r.kappa.ci_high
            hits[1] += r.tpr.ci_low <= tpr <= r.tpr.ci_high
            hits[2] += r.tnr.ci_low <= tnr <= r.tnr.ci_high
            widths.append(r.kappa.ci_high - r.kappa.ci_low)
        print(f"| {base_rate} | {tpr} | {tnr} | {hits[0] / reps:.3f} | {hits[1] / reps:.3f} | {hits[2] / reps:.3f} "
              f"| {np.mean(widths):.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=150)
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--reps", type=int, default=400)
    args = ap.parse_args()
    real_path(args.cases, args.samples, 0.5, 0.9, 0.8)
    coverage(args.cases, args.samples, args.reps)


if __name__ == "__main__":
    main()
