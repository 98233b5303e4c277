"""`plan` keeps its promise: at the planned size the gate's rule catches the drop with the stated power."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from gradeloop.errors import InputError
from gradeloop.gate import plan


def run_doc(values: np.ndarray) -> dict:
    """A run document with one case per row and one pass/fail sample per column."""
    return {"samples_per_case": values.shape[1],
            "cases": [{"suite": "s", "id": f"c{i}", "samples": [{"passed": bool(v)} for v in row]}
                      for i, row in enumerate(values)]}


def pilot(rng: np.random.Generator, n: int, k: int, drop: float) -> tuple[np.ndarray, np.ndarray]:
    """Base and candidate samples on the same n cases; the candidate's pass probability is `drop` lower."""
    p = 0.15 + 0.8 * rng.beta(4, 4, size=n)
    base = (rng.random((n, k)) < p[:, None]).astype(float)
    cand = (rng.random((n, k)) < (p - drop)[:, None]).astype(float)
    return base, cand


def gate_fails(rng: np.random.Generator, reps: int, n: int, k: int, drop: float, margin: float,
               alpha: float) -> float:
    """Share of fresh experiments where the one-sided t upper bound of mean(cand - base) < -margin."""
    p = 0.15 + 0.8 * rng.beta(4, 4, size=(reps, n))
    b = (rng.random((reps, n, k)) < p[..., None]).mean(axis=2)
    c = (rng.random((reps, n, k)) < (p - drop)[..., None]).mean(axis=2)
    d = c - b
    upper = d.mean(axis=1) + sps.t.ppf(1 - alpha, n - 1) * d.std(axis=1, ddof=1) / math.sqrt(n)
    return float(np.mean(upper < -margin))


def test_plan_from_a_pilot_delivers_the_promised_power():
    rng = np.random.default_rng(61)
    base, cand = pilot(rng, 600, 4, 0.10)
    result = plan(run_doc(base), 0.10, candidate=run_doc(cand), samples_options=(1, 4))
    assert (result["margin"], result["alpha"], result["tests"]) == (0.02, 0.05, 1)  # the gate's defaults
    n = next(o["cases"] for o in result["options"] if o["samples_per_case"] == 4)
    assert 0.76 <= gate_fails(rng, 3000, n, 4, 0.10, 0.02, 0.05) <= 0.88
    # the old plan (normal formula, margin ignored) asked for about (0.08 / 0.10)^2 of that
    old = math.ceil(n * (0.08 / 0.10) ** 2)
    assert gate_fails(rng, 3000, old, 4, 0.10, 0.02, 0.05) < 0.72


def test_more_tests_sharing_alpha_need_more_cases():
    rng = np.random.default_rng(62)
    base, cand = pilot(rng, 200, 2, 0.10)
    one = plan(run_doc(base), 0.10, candidate=run_doc(cand))
    five = plan(run_doc(base), 0.10, candidate=run_doc(cand), tests=5)
    assert five["alpha_per_test"] == pytest.approx(0.01)
    assert all(f["cases"] > o["cases"] for f, o in zip(five["options"], one["options"]))
    no_margin = plan(run_doc(base), 0.10, candidate=run_doc(cand), margin=0.0)
    assert all(m["cases"] < o["cases"] for m, o in zip(no_margin["options"], one["options"]))
    with pytest.raises(InputError) as err:
        plan(run_doc(base), 0.02)  # within the default margin: no size can make it fail
    assert err.value.field == "effect"
    with pytest.raises(InputError) as err:
        plan(run_doc(base), 0.10, tests=0)
    assert err.value.field == "tests"


def test_the_gate_policy_judges_fairness_gaps_on_the_corrected_bound_by_default() -> None:
    from gradeloop.gate.policy import MaxGap

    assert MaxGap(tag="locale", max_gap=0.1).on == "ci_low"
    assert MaxGap(tag="locale", max_gap=0.1, on="mean").on == "mean"


def test_plan_command_takes_margin_and_tests(workdir, capsys) -> None:
    import json

    from gradeloop.cli import main

    (workdir / "s.yaml").write_text("name: s\ncases:\n" + "".join(
        f"  - {{id: c{i}, input: q{i}, graders: [{{type: contains, value: ok}}]}}\n" for i in range(40)))
    (workdir / "r.jsonl").write_text("".join(json.dumps({"case_id": f"c{i}", "output": "ok" if i % 3 else "no"})
                                             + "\n" for i in range(40)))
    assert main(["eval", str(workdir / "s.yaml"), "-t", f"replay:{workdir / 'r.jsonl'}", "--json",
                 str(workdir / "base.json"), "-q"]) == 0  # no threshold, no errors
    args = ["plan", "--baseline", str(workdir / "base.json"), "--effect", "0.1"]
    assert main(args + ["--json", "a.json", "--margin", "0"]) == 0
    assert main(args + ["--json", "b.json", "--margin", "0.05", "--tests", "3"]) == 0
    a, b = (json.loads((workdir / f).read_text()) for f in ("a.json", "b.json"))
    assert b["options"][0]["cases"] > a["options"][0]["cases"]  # a margin and more tests need more cases
