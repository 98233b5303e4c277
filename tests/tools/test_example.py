"""examples/tools runs as the README says: every tool-call grader, tool_exec and the agent loop."""
from __future__ import annotations

from pathlib import Path

from gradeloop.run import Engine, RunConfig, Store, build_run_json
from gradeloop.suite import load_suite
from gradeloop.targets import load_target

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tools"


def test_example_suites_on_the_recorded_replay(tmp_path):
    suites = [load_suite(EXAMPLE / "orders.yaml"), load_suite(EXAMPLE / "agent.yaml")]
    store = Store(tmp_path / "db.sqlite")
    outcome = Engine(suites, load_target(f"replay:{EXAMPLE / 'replay.jsonl'}"), store, RunConfig()).run()
    doc = build_run_json(store, outcome.run_id)
    passed = {c["id"]: c["samples"][0]["passed"] for c in doc["cases"]}
    # the recorded assistant obeys the injected note; everything else is right
    assert passed == {"where-is-order": True, "two-orders": True, "lost-order-ticket": True, "opening-hours": True,
                      "injected-note": False, "lost-then-ticket": True}
    agent = next(c for c in doc["cases"] if c["id"] == "lost-then-ticket")["samples"][0]
    assert [m["role"] for m in agent["trajectory"]] == ["assistant", "tool", "assistant", "tool", "assistant"]
    assert outcome.target_errors == 0 and outcome.grader_errors == 0
