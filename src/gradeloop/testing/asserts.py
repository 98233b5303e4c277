"""Assertions for users' own test files: a suite passes, a candidate does not regress.

    from gradeloop.testing import assert_suite, assert_no_regression

    def test_support_bot():
        assert_suite("suites/support.yaml", "py:app:answer")

Both fail closed: errors, ungraded samples and inconclusive verdicts fail, and the message
names the failing cases (id, first grader reason, output excerpt) or the failing gate checks.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gradeloop.api import RunLike, SuitesArg
    from gradeloop.gate.policy import GatePolicy
    from gradeloop.results import Comparison, RunResult
    from gradeloop.targets.base import Target

_SHOWN = 10


def failure_summary(run: RunResult, limit: int = _SHOWN) -> str:
    """The failing cases of a run, one line each: suite/id, first reason, output excerpt."""
    lines = []
    failing = run.failing_cases
    for case in failing[:limit]:
        sample = case.first_failure
        reason = sample.first_reason if sample else "no samples"
        output = "" if sample is None or sample.output is None else " ".join(sample.output.split())
        excerpt = output if len(output) <= 80 else output[:79] + "…"
        lines.append(f"  {case.suite}/{case.id}: {reason}" + (f" | output: {excerpt}" if excerpt else ""))
    if len(failing) > limit:
        lines.append(f"  … and {len(failing) - limit} more")
    return "\n".join(lines)


def assert_suite(suites: SuitesArg, target: str | Target, *, min_pass_rate: float | None = None,
                 **evaluate_kwargs: Any) -> RunResult:
    """Evaluate and assert: the overall pass rate reaches `min_pass_rate` when given, else every
    suite threshold passes, and a suite without a threshold has every case passing. Returns the run."""
    from gradeloop.api import evaluate

    run = evaluate(suites, target, **evaluate_kwargs)
    problems: list[str] = []
    if run.status != "done":
        problems.append(f"run {run.run_id} did not finish (status {run.status})")
    if run.errors.target or run.errors.grader:
        problems.append(f"{run.errors.target} target error(s) and {run.errors.grader} grader error(s)")
    if min_pass_rate is not None:
        est = run.pass_rate
        if est.n_cases == 0 or est.mean < min_pass_rate:
            problems.append(f"pass rate {est.mean:.3f} [{est.ci_low:.3f}, {est.ci_high:.3f}] < {min_pass_rate}")
    else:
        for s in run.suites:
            if s.threshold is not None:
                if not s.threshold.passed:
                    value = "no data" if s.threshold.value is None else f"{s.threshold.value:.3f}"
                    problems.append(f"suite {s.name}: threshold {s.threshold.verdict} "
                                    f"({s.threshold.on} {value} vs {s.threshold.min_pass_rate})")
            elif any(c.suite == s.name for c in run.failing_cases):
                n = sum(1 for c in run.failing_cases if c.suite == s.name)
                problems.append(f"suite {s.name}: {n} case(s) did not pass (no threshold: every case must)")
    if problems:
        raise AssertionError("gradeloop: " + "; ".join(problems) + "\n" + failure_summary(run))
    return run


def assert_no_regression(baseline: RunLike, candidate: RunLike, policy: GatePolicy | str | Path | None = None,
                         *, store: str | Path | None = None) -> Comparison:
    """Compare `candidate` with `baseline` (runs, run files or ids) and assert the gate passes."""
    from gradeloop.api import compare

    cmp = compare(baseline, candidate, policy, store=store)
    if not cmp.passed:
        failed = [c for c in cmp.checks if not c.passed]
        detail = "\n".join(f"  {c.kind} {c.scope}: {c.message}" for c in failed) or "  (no check passed)"
        raise AssertionError(f"gradeloop gate {cmp.verdict}: {', '.join(cmp.failing) or 'no passing verdict'}\n"
                             + detail)
    return cmp
