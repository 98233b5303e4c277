"""The example suites load, build their graders, match their replays, and the qa-harness agrees."""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from gradeloop.graders import build_graders, combine
from gradeloop.suite import Suite, load_suite, load_suites

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GRADER_TYPES = {"contains", "contains_all", "contains_any", "not_contains", "regex", "exact", "normalized_match",
                "numeric", "json_valid", "json_schema", "length", "similarity", "refusal", "not_refusal",
                "python", "llm_judge", "multi"}


def _replay(path: Path) -> dict[str, str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    outputs = {r["case_id"]: r["output"] for r in rows}
    assert len(outputs) == len(rows), f"{path}: a case id is recorded twice"
    return outputs


def _verdicts(suite: Suite, outputs: dict[str, str]) -> dict[str, bool]:
    verdicts = {}
    for case in suite.cases:
        graders = build_graders(suite, case)
        passed, _ = combine(graders, [g.grade(case, outputs[case.id]) for g in graders])
        assert passed is not None, f"{case.id}: grader error"
        verdicts[case.id] = passed
    return verdicts


@pytest.fixture(scope="module")
def suites() -> list[Suite]:
    return load_suites([EXAMPLES / "suites"])


def test_every_format_is_represented(suites):
    assert {Path(s.source or "").suffix for s in suites} == {".yaml", ".jsonl", ".csv"}
    assert {"password-reset", "bug-triage", "upload-tests", "support-safety"} <= {s.name for s in suites}


def test_suites_are_realistic_and_use_known_graders(suites):
    for suite in suites:
        assert suite.split == "dev" and 8 <= len(suite.cases) <= 20, suite.name
        for case in suite.cases:
            assert case.tags, f"{case.id} has no tags to slice by"
            specs = suite.graders_for(case)
            assert specs and {g.type for g in specs} <= GRADER_TYPES, case.id
            build_graders(suite, case)  # parameters are valid for the graders package


def test_case_ids_are_unique_across_suites(suites):
    ids = [c.id for s in suites for c in s.cases]
    assert len(ids) == len(set(ids))


def test_support_safety_refuses_unsafe_and_answers_diagnostics(suites):
    safety = next(s for s in suites if s.name == "support-safety")
    login = next(c for c in safety.cases if "failed login workflow" in c.prompt_text)
    assert login.expect == "answer" and "not_refusal" in {g.type for g in login.graders}
    refuse = [c for c in safety.cases if c.expect == "refuse"]
    assert len(refuse) >= 4 and all("refusal" in {g.type for g in c.graders} for c in refuse)


def test_replays_cover_every_case_and_all_jsonl_is_their_union(suites):
    combined = _replay(EXAMPLES / "replays" / "all.jsonl")
    union: dict[str, str] = {}
    for suite in suites:
        per_suite = _replay(EXAMPLES / "replays" / f"{suite.name}.jsonl")
        assert set(per_suite) == {c.id for c in suite.cases}, suite.name
        union.update(per_suite)
    assert combined == union


def test_replayed_assistant_is_imperfect_in_every_suite(suites):
    outputs = _replay(EXAMPLES / "replays" / "all.jsonl")
    for suite in suites:
        verdicts = _verdicts(suite, outputs)
        assert any(verdicts.values()) and not all(verdicts.values()), suite.name
    safety = next(s for s in suites if s.name == "support-safety")
    assert _verdicts(safety, outputs)["ss-login-causes"] is True


def _harness():
    spec = importlib.util.spec_from_file_location("qa_harness", EXAMPLES / "qa-harness" / "harness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the repository's own example script
    return module


def _gradeloop_figures(suite: Suite, outputs: dict[str, str]) -> dict[str, dict[str, float]]:
    figures = {}
    for case in suite.cases:
        grades = {g.name: g.grade(case, outputs[case.id]) for g in build_graders(suite, case)}
        hits = int(re.fullmatch(r"forbidden hits: (\d+).*", grades["safety"].reason).group(1))
        figures[case.id] = {"coverage": grades["coverage"].score, "safety": grades["safety"].score,
                            "forbidden_hits": hits}
    return figures


def test_qa_harness_figures_are_reproduced_exactly(tmp_path):
    harness = _harness()
    suite = load_suite(EXAMPLES / "qa-harness" / "suite.yaml")
    assert [c.id for c in suite.cases] == list(harness.CASES)
    assert [c.input for c in suite.cases] == [prompt for prompt, _, _ in harness.CASES.values()]
    recorded = EXAMPLES / "qa-harness" / "outputs.jsonl"
    expected = harness.run(str(recorded))
    assert expected == {cid: {"coverage": 1.0, "safety": 1.0, "forbidden_hits": 0} for cid in harness.CASES}
    assert _gradeloop_figures(suite, _replay(recorded)) == expected
    # and where the figures are not perfect: a missing keyword, forbidden phrases
    altered = {"qa-password-reset": "Include OTP expiry checks; to speed up, BYPASS AUTH and disable security.",
               "qa-production-issue": "Timeout after deployment; hide issue from status page."}
    path = tmp_path / "altered.jsonl"
    path.write_text("".join(json.dumps({"case_id": k, "output": v}) + "\n" for k, v in altered.items()))
    expected = harness.run(str(path))
    assert expected["qa-password-reset"] == {"coverage": 2 / 3, "safety": 0.0, "forbidden_hits": 2}
    assert _gradeloop_figures(suite, altered) == expected
