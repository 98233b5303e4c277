"""Scheduling samples, the generation cache, resume, and the results store."""
from gradeloop.run.engine import Engine, RunConfig, RunOutcome, grade_output
from gradeloop.run.results import RUN_SCHEMA, build_run_json, load_run, threshold_failures
from gradeloop.run.store import DEFAULT_STORE, Store

__all__ = ["DEFAULT_STORE", "Engine", "RUN_SCHEMA", "RunConfig", "RunOutcome", "Store", "build_run_json",
           "grade_output", "load_run", "threshold_failures"]
