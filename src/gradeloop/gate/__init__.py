"""Comparison policies and verdicts: paired, per slice, corrected, honest about power, fail closed."""
from gradeloop.gate.compare import COMPARE_SCHEMA, ScopeData, compare_runs, judge_scopes
from gradeloop.gate.partial import PartialRunError, partial_reasons, require_whole
from gradeloop.gate.plan import plan
from gradeloop.gate.policy import GatePolicy, load_policy
from gradeloop.gate.verdict import ErrorCount, Verdict, combine, exit_code, passes

__all__ = ["COMPARE_SCHEMA", "ErrorCount", "GatePolicy", "PartialRunError", "ScopeData", "Verdict", "combine",
           "compare_runs", "exit_code", "judge_scopes", "load_policy", "partial_reasons", "passes", "plan",
           "require_whole"]
