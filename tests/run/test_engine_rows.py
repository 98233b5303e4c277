"""What the engine stores per sample reads back as it was graded: grades, errors, signals, logprobs, usage."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Sequence

import pytest

from gradeloop.graders.base import Grade
from gradeloop.run import Engine, RunConfig, Store, build_run_json
from gradeloop.suite.model import Case, Suite
from gradeloop.targets.base import Generation, Request

SHARED = Grade(1.0, True, "shared verdict", "shared")


@dataclass
class FakeGrader:
    name: str
    weight: float = 1.0
    mode: str = "shared"

    def grade(self, case: Case, output: str) -> Grade:
        if self.mode == "raise":
            raise RuntimeError("boom")
        if self.mode == "signals":
            return Grade(0.5, True, "half", self.name, signals={"confidence": 0.25})
        return SHARED


class FakeTarget:
    spec = "fake"
    batch_size = 2

    def fingerprint(self) -> str:
        return "fake-1"

    async def generate(self, requests: Sequence[Request]) -> list[Generation]:
        out = []
        for r in requests:
            if r.case_id == "down":
                out.append(Generation(None, error="HTTP 500", latency_s=0.5))
            else:
                out.append(Generation(f"answer to {r.case_id}", latency_s=0.1, logprobs=[-0.5, -1.5],
                                      usage={"prompt_tokens": 3, "completion_tokens": 2}, signals={"confidence": 0.9}))
        return out

    async def aclose(self) -> None:
        return None


@pytest.fixture
def run(tmp_path):
    cases = tuple(Case(i, f"q {i}") for i in ("a", "b", "crash", "sig", "down"))
    suite = Suite("s", cases, version="v1")
    store = Store(tmp_path / "s.db")
    engine = Engine([suite], FakeTarget(), store, RunConfig(samples=2))
    modes = {"crash": "raise", "sig": "signals"}
    engine.graders = {key: (FakeGrader("shared"), FakeGrader(key[1], mode=modes.get(key[1], "shared")))
                      for key in engine.graders}
    outcome = asyncio.run(engine.arun())
    data = build_run_json(store, outcome.run_id)
    store.close()
    return outcome, {c["id"]: c["samples"] for c in data["cases"]}


def test_shared_grades_read_back_for_every_sample(run):
    _, samples = run
    for case_id in ("a", "b"):
        assert len(samples[case_id]) == 2
        for s in samples[case_id]:
            assert s["passed"] is True and s["score"] == 1.0 and s["error"] is None
            assert s["grades"] == [{"grader": "shared", "score": 1.0, "passed": True, "reason": "shared verdict"}] * 2


def test_target_output_details_are_kept(run):
    _, samples = run
    s = samples["a"][0]
    assert s["output"] == "answer to a" and s["latency_s"] == 0.1 and s["cached"] is False
    assert s["logprobs"] == [-0.5, -1.5] and s["usage"] == {"prompt_tokens": 3, "completion_tokens": 2}
    assert s["signals"]["confidence"] == 0.9
    assert s["signals"]["logprob_mean"] == pytest.approx(-1.0) and s["signals"]["logprob_min"] == -1.5


def test_grader_signals_are_prefixed_with_the_grader(run):
    _, samples = run
    s = samples["sig"][0]
    assert s["signals"]["sig.confidence"] == 0.25 and s["score"] == pytest.approx(0.75)
    assert s["grades"][1] == {"grader": "sig", "score": 0.5, "passed": True, "reason": "half",
                              "signals": {"confidence": 0.25}}


def test_errors_are_data_neither_pass_nor_fail(run):
    outcome, samples = run
    assert (outcome.grader_errors, outcome.target_errors, outcome.generated) == (2, 2, 10)
    crash = samples["crash"][0]
    assert crash["passed"] is None and crash["score"] is None and crash["error_kind"] == "grader"
    assert crash["error"] == "crash: grader raised RuntimeError: boom"
    assert crash["grades"][1]["error"] == "grader raised RuntimeError: boom"
    down = samples["down"][1]
    assert (down["output"], down["error"], down["error_kind"], down["grades"]) == (None, "HTTP 500", "target", [])
    assert down["latency_s"] == 0.5

