"""tool_exec: calls run against user tool implementations in the sandbox; check() judges the state."""
from __future__ import annotations

import textwrap

import pytest

from gradeloop.errors import InputError
from gradeloop.graders import build_grader
from gradeloop.suite.model import Case, GraderSpec
from gradeloop.tools.calls import Reply, ToolCall

TOOLS = textwrap.dedent("""
    ORDERS = {"A1": "shipped", "B2": "lost"}
    TICKETS = []

    def lookup_order(order_id):
        return {"order_id": order_id, "status": ORDERS[order_id]}

    def create_ticket(title, priority=3):
        TICKETS.append({"title": title, "priority": priority})
        return {"ticket": len(TICKETS)}

    def spin():
        while True:
            pass

    def check(calls, results, case):
        lost = [r["result"]["order_id"] for r in results if "result" in r and r["result"].get("status") == "lost"]
        ok = len(TICKETS) == 1 and bool(lost) and lost[0] in TICKETS[0]["title"]
        return {"passed": ok, "reason": f"{len(TICKETS)} ticket(s) for lost {lost}"}

    def broken_check(calls, results, case):
        raise RuntimeError("check bug")
""")
CASE = Case("t", "Order B2 never arrived, open a ticket.", file="suite.yaml", line=1)


@pytest.fixture
def module(tmp_path):
    (tmp_path / "tools.py").write_text(TOOLS)
    return tmp_path


def grader(folder, **params):
    spec = GraderSpec("tool_exec", {"module": "tools.py", **params}, file=str(folder / "suite.yaml"), line=4)
    return build_grader(spec, CASE, base_dir=str(folder))


def reply(*calls):
    return Reply("", [ToolCall(n, a) for n, a in calls])


def test_state_after_the_calls_is_checked(module):
    g = grader(module, timeout=20)
    good = g.grade(CASE, reply(("lookup_order", {"order_id": "B2"}), ("create_ticket", {"title": "B2 lost"})))
    assert good.passed and "1 ticket(s)" in good.reason
    twice = g.grade(CASE, reply(("lookup_order", {"order_id": "B2"}), ("create_ticket", {"title": "B2"}),
                                ("create_ticket", {"title": "B2 again"})))
    assert not twice.passed and twice.error is None
    # every grade starts from a fresh module: the tickets of the previous grades are gone
    assert g.grade(CASE, reply(("lookup_order", {"order_id": "B2"}), ("create_ticket", {"title": "B2"}))).passed


def test_tool_exceptions_are_results_for_the_check(module):
    g = grader(module, timeout=20)
    out = g.grade(CASE, reply(("lookup_order", {"order_id": "ZZ"}), ("create_ticket", {"title": "x"})))
    assert not out.passed and out.error is None and "KeyError" in out.reason
    bad_args = grader(module, check=None, timeout=20).grade(CASE, reply(("create_ticket", {"nope": 1})))
    assert not bad_args.passed and "TypeError" in bad_args.reason
    unknown = grader(module, check=None, timeout=20).grade(CASE, reply(("rm_rf", {})))
    assert not unknown.passed and "no tool implementation" in unknown.reason
    ran = grader(module, check=None, timeout=20).grade(CASE, reply(("lookup_order", {"order_id": "A1"})))
    assert ran.passed


def test_timeouts_and_crashing_checks_are_grader_errors(module):
    hung = grader(module, check=None, timeout=2).grade(CASE, reply(("spin", {})))
    assert hung.error is not None and "timed out after 2s" in hung.error and not hung.passed
    crashed = grader(module, check="broken_check", timeout=20).grade(CASE, reply(("create_ticket", {"title": "x"})))
    assert crashed.error is not None and "check bug" in crashed.error


def test_bad_module_or_check_is_bad_input(module, tmp_path):
    with pytest.raises(InputError) as info:
        grader(module, check="judge")
    assert info.value.field.endswith("check") and info.value.line == 4
    (module / "broken.py").write_text("def f(:\n")
    with pytest.raises(InputError, match="syntax error"):
        build_grader(GraderSpec("tool_exec", {"module": "broken.py"}, str(module / "s.yaml"), 4), CASE,
                     base_dir=str(module))
    with pytest.raises(InputError, match="cannot read tools module"):
        build_grader(GraderSpec("tool_exec", {"module": "missing.py"}, str(module / "s.yaml"), 4), CASE,
                     base_dir=str(module))
