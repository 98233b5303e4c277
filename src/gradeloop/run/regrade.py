"""Re-grade a stored run with the current graders, without generating anything again.

The suites are reloaded from the files the run recorded; a suite whose cases changed is
refused, since its stored outputs would no longer answer the same inputs.
"""
from __future__ import annotations

from gradeloop.errors import InputError
from gradeloop.graders import build_graders
from gradeloop.graders.base import JudgeFactory
from gradeloop.run.engine import grade_output, new_run_id
from gradeloop.run.store import SampleRow, Store
from gradeloop.tools.calls import Reply, parse_calls
from gradeloop.suite import load_suite


def regrade(store: Store, run_id: str, *, judge_factory: JudgeFactory | None = None) -> str:
    """Write a new run with the same outputs and fresh grades; returns its id."""
    meta = store.run_meta(run_id)
    if meta is None:
        raise InputError(f"no run {run_id!r} in {store.path}", field="run")
    suites = {}
    for s in meta["suites"]:
        if not s.get("source"):
            raise InputError(f"suite {s['name']!r} of run {run_id} has no source file to reload", field="suites")
        suite = load_suite(s["source"])
        stored = {c["id"]: c for c in store.cases(run_id) if c["suite"] == s["name"]}
        changed = [c.id for c in suite.cases if c.id in stored and
                   stored[c.id]["input"] != (c.input if isinstance(c.input, str) else [dict(m) for m in c.input])]
        if changed:
            raise InputError(f"inputs changed since the run (e.g. case {changed[0]!r}); run eval again",
                             file=s["source"], field="cases")
        suites[s["name"]] = suite
    new_id = new_run_id()
    suites_meta = [{**s, "version": suites[s["name"]].version, "regraded_from": run_id} for s in meta["suites"]]
    store.create_run(new_id, f"regrade:{run_id}:{new_id}", meta["target_spec"], meta["fingerprint"],
                     meta["config"], suites_meta)
    old_cases = store.cases(run_id)
    store.add_cases(new_id, ((c["suite"], c["id"], i, c["tags"], c["parent"], c["expect"], c["input"], c["reference"],
                              c["metadata"])
                             for i, c in enumerate(old_cases)))
    cases = {(name, c.id): (suite, c) for name, suite in suites.items() for c in suite.cases}
    graders_cache: dict = {}
    rows = []
    for r in store.samples(run_id):
        found = cases.get((r.suite, r.case_id))
        if found is None or r.error_kind == "target" or r.output is None:
            rows.append(r)  # target errors and removed cases keep what was stored
            continue
        suite, case = found
        key = (r.suite, r.case_id)
        if key not in graders_cache:
            graders_cache[key] = build_graders(suite, case, judge_factory=judge_factory)
        output = (Reply(r.output, parse_calls(r.tool_calls), r.trajectory or ())
                  if r.tool_calls or r.trajectory or case.tools else r.output)
        passed, score, grades, error, sig = grade_output(case, graders_cache[key], output)
        signals = {k: v for k, v in r.signals.items() if "." not in k}
        signals.update(sig)
        rows.append(SampleRow(r.suite, r.case_id, r.sample_index, r.output, error, "grader" if error else None,
                              r.latency, passed, score, grades, signals, r.logprobs, r.usage, True,
                              r.tool_calls, r.trajectory))
    store.add_samples(new_id, rows)
    store.finish_run(new_id)
    return new_id
