"""gradeloop: unit benchmarks for LLM features — evaluate, gate and tune with the same graders.

    import gradeloop
    run = gradeloop.evaluate("suites/", "py:app:answer")
    print(run.pass_rate)                      # 0.92 [0.81, 0.97] style Estimate
    cmp = gradeloop.compare(baseline_run, run)

Names load on first use, so `import gradeloop` (and the CLI's start) stays light.
"""
from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("gradeloop")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

_EXPORTS = {
    "evaluate": "gradeloop.api", "compare": "gradeloop.api", "load_suites": "gradeloop.api",
    "GradeloopWarning": "gradeloop.api",
    "RunResult": "gradeloop.results", "CaseResult": "gradeloop.results", "SampleResult": "gradeloop.results",
    "GradeResult": "gradeloop.results", "SuiteResult": "gradeloop.results", "Comparison": "gradeloop.results",
    "TuneReport": "gradeloop.results", "Metrics": "gradeloop.results",
    "Estimate": "gradeloop.stats.estimate", "InputError": "gradeloop.errors",
    "Suite": "gradeloop.suite.model", "Case": "gradeloop.suite.model",
    "GatePolicy": "gradeloop.gate.policy",
}

__all__ = ["__version__", "evaluate", "compare", "load_suites", "GradeloopWarning", "RunResult", "CaseResult",
           "SampleResult", "GradeResult", "SuiteResult", "Comparison", "TuneReport", "Metrics", "Estimate",
           "InputError", "Suite", "Case", "GatePolicy"]

if TYPE_CHECKING:
    from gradeloop.api import GradeloopWarning, compare, evaluate, load_suites
    from gradeloop.errors import InputError
    from gradeloop.gate.policy import GatePolicy
    from gradeloop.results import (CaseResult, Comparison, GradeResult, Metrics, RunResult, SampleResult,
                                   SuiteResult, TuneReport)
    from gradeloop.stats.estimate import Estimate
    from gradeloop.suite.model import Case, Suite


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gradeloop' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
