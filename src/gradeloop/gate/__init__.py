"""Comparison policies and verdicts: paired, per slice, corrected, honest about power."""
from gradeloop.gate.compare import COMPARE_SCHEMA, compare_runs
from gradeloop.gate.plan import plan
from gradeloop.gate.policy import GatePolicy, load_policy

__all__ = ["COMPARE_SCHEMA", "GatePolicy", "compare_runs", "load_policy", "plan"]
