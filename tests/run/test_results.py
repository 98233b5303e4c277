"""The run summary (what `eval` tables read) agrees with the full run JSON it abbreviates."""
from __future__ import annotations

import asyncio
from typing import Sequence

import pytest

from gradeloop.graders.base import Grade
from gradeloop.run import Engine, RunConfig, Store, build_run_json
from gradeloop.run.results import build_run_summary, metrics_for, threshold_failures
from gradeloop.suite.model import Case, GraderSpec, Suite, Thresholds
from gradeloop.targets.base import Generation, Request


class CountingTarget:
    """Answers with the sample index, fails on case `down`; deterministic per request."""

    spec = "counting"

    def fingerprint(self) -> str:
        return "counting-1"

    async def generate(self, requests: Sequence[Request]) -> list[Generation]:
        return [Generation(None, error="timeout") if r.case_id == "down" else Generation(f"n{r.sample_index}")
                for r in requests]

    async def aclose(self) -> None:
        return None


def _suite(name: str, ids: Sequence[str], min_pass_rate: float | None) -> Suite:
    cases = tuple(Case(i, f"q {i}", tags={"kind": "odd" if n % 2 else "even", "set": name},
                       graders=(GraderSpec("contains", {"value": "n1" if n % 2 else "n"}),))
                  for n, i in enumerate(ids))
    return Suite(name, cases, thresholds=Thresholds(min_pass_rate), version=f"{name}-v1")


@pytest.fixture
def store_and_run(tmp_path):
    suites = [_suite("alpha", ["a", "b", "c", "down"], 0.9), _suite("beta", ["d", "e"], None)]
    store = Store(tmp_path / "s.db")
    outcome = asyncio.run(Engine(suites, CountingTarget(), store, RunConfig(samples=3)).arun())
    yield store, outcome.run_id
    store.close()


def test_summary_is_the_full_document_without_cases_and_graders(store_and_run):
    store, run_id = store_and_run
    full = build_run_json(store, run_id)
    summary = build_run_summary(store, run_id)
    assert set(full) - set(summary) == {"cases", "graders"}
    assert full["error_messages"] and full["error_messages"][0]["count"] == 3
    assert summary == {k: v for k, v in full.items() if k not in ("cases", "graders")}


def test_summary_numbers(store_and_run):
    store, run_id = store_and_run
    run = build_run_summary(store, run_id)
    alpha = run["suites"][0]["metrics"]
    # a, c: every sample contains "n"; b: "n1" in 1 of 3 samples; down: target errors only
    assert alpha["pass_rate"]["mean"] == pytest.approx((1 + 1 / 3 + 1) / 3)
    assert alpha["errors"] == {"target": 3, "grader": 0, "samples": 12, "missing": 0, "planned": 12, "rate": 0.25}
    assert alpha["pass@2"]["n_cases"] == 3 and "pass^3" in alpha
    assert run["slices"]["kind=even"]["pass_rate"]["n_cases"] == 3  # a, c, d
    assert run["slices"]["kind=odd"]["pass_rate"]["n_cases"] == 2  # b, e (down has no valid sample)
    assert run["slices"]["suite=beta"]["pass_rate"]["n_cases"] == 2
    assert threshold_failures(run) == ["alpha"]


def test_metrics_for_run_json_cases(store_and_run):
    store, run_id = store_and_run
    full = build_run_json(store, run_id)
    beta = [c for c in full["cases"] if c["suite"] == "beta"]
    assert metrics_for(beta, 3) == full["suites"][1]["metrics"]
    assert [c["pass_rate"] for c in beta] == [1.0, pytest.approx(1 / 3)]


def test_grades_with_errors_do_not_count(tmp_path):
    store = Store(tmp_path / "s.db")
    suite = _suite("alpha", ["a"], None)
    engine = Engine([suite], CountingTarget(), store, RunConfig(samples=2))

    class Flaky:
        name, weight = "flaky", 1.0

        def grade(self, case: Case, output: str) -> Grade:
            if output == "n0":
                raise ValueError("cannot judge")
            return Grade(1.0, True, "", self.name)

    engine.graders = {key: (Flaky(),) for key in engine.graders}
    run_id = asyncio.run(engine.arun()).run_id
    run = build_run_summary(store, run_id)
    assert run["metrics"]["errors"] == {"target": 0, "grader": 1, "samples": 2, "missing": 0, "planned": 2,
                                        "rate": 0.5}
    assert run["metrics"]["pass_rate"]["mean"] == 1.0 and run["metrics"]["pass_rate"]["n_samples"] == 1
    assert build_run_json(store, run_id)["graders"]["flaky"]["pass_rate"]["n_samples"] == 1
    store.close()
