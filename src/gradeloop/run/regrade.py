"""Re-grade a stored run with the current graders, without generating anything again.

The suites are reloaded from the files the run recorded; a suite whose cases changed is
refused, since its stored outputs would no longer answer the same inputs. Grading runs in this
process, or, with an executor that maps chunks (`--executor ray`), on its workers: each holds the
suites and the judges and grades chunks of stored samples, which is what pays when the graders are
slow (LLM judges, a judge model per GPU, sandboxed code).
"""
from __future__ import annotations

from typing import Any, Sequence

from gradeloop.errors import InputError
from gradeloop.graders import build_graders
from gradeloop.graders.base import JudgeFactory
from gradeloop.run.engine import grade_output, new_run_id
from gradeloop.run.store import SampleRow, Store
from gradeloop.suite import load_suite
from gradeloop.suite.model import Suite
from gradeloop.tools.calls import Reply, parse_calls

CHUNK = 256  # stored samples per chunk sent to a worker


class Regrader:
    """Fresh grades for stored samples: the suites, the judges, and each case's graders built once.

    Picklable (suites and a judge factory), so a Ray actor can hold one.
    """

    def __init__(self, suites: dict[str, Suite], judge_factory: JudgeFactory | None = None) -> None:
        self.suites = suites
        self.judge_factory = judge_factory
        self.cases = {(name, c.id): (suite, c) for name, suite in suites.items() for c in suite.cases}
        self._graders: dict[tuple[str, str], tuple] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without built graders (judges hold clients and threads); a worker builds its own."""
        return {**self.__dict__, "_graders": {}}

    def build_all(self) -> None:
        """Build (and so validate) every case's graders: a missing judge is one error here, not one per worker."""
        for key in self.cases:
            self._graders_for(key)

    def _graders_for(self, key: tuple[str, str]) -> tuple:
        if key not in self._graders:
            suite, case = self.cases[key]
            self._graders[key] = build_graders(suite, case, judge_factory=self.judge_factory)
        return self._graders[key]

    def __call__(self, rows: Sequence[SampleRow]) -> list[SampleRow]:
        out = []
        for r in rows:
            found = self.cases.get((r.suite, r.case_id))
            if found is None or r.error_kind == "target" or r.output is None:
                out.append(r)  # target errors and removed cases keep what was stored
                continue
            case = found[1]
            output = (Reply(r.output, parse_calls(r.tool_calls), r.trajectory or ())
                      if r.tool_calls or r.trajectory or case.tools else r.output)
            passed, score, grades, error, sig = grade_output(case, self._graders_for((r.suite, r.case_id)), output)
            signals = {k: v for k, v in r.signals.items() if "." not in k}
            signals.update(sig)
            out.append(SampleRow(r.suite, r.case_id, r.sample_index, r.output, error, "grader" if error else None,
                                 r.latency, passed, score, grades, signals, r.logprobs, r.usage, True,
                                 r.tool_calls, r.trajectory))
        return out


def recorded_suites(store: Store, run_id: str, meta: dict | None = None) -> dict[str, Suite]:
    """The suites a stored run recorded, reloaded from their files (name → Suite), for re-grading and probes."""
    meta = meta if meta is not None else store.run_meta(run_id)
    if meta is None:
        raise InputError(f"no run {run_id!r} in {store.path}", field="run")
    out = {}
    for s in meta["suites"]:
        if not s.get("source"):
            raise InputError(f"suite {s['name']!r} of run {run_id} has no source file to reload", field="suites")
        out[s["name"]] = load_suite(s["source"])
    return out


def regrade(store: Store, run_id: str, *, judge_factory: JudgeFactory | None = None, executor: Any = None,
            chunk_size: int = CHUNK) -> str:
    """Write a new run with the same outputs and fresh grades; returns its id.

    `executor`: None or a local executor grades here; an executor with `map_chunks` (RayExecutor)
    grades chunks of `chunk_size` samples on its workers. The rows are the same either way.
    """
    meta = store.run_meta(run_id)
    suites = recorded_suites(store, run_id, meta)
    stored_cases = store.cases(run_id)
    for name, suite in suites.items():
        stored = {c["id"]: c for c in stored_cases if c["suite"] == name}
        changed = [c.id for c in suite.cases if c.id in stored and
                   stored[c.id]["input"] != (c.input if isinstance(c.input, str) else [dict(m) for m in c.input])]
        if changed:
            raise InputError(f"inputs changed since the run (e.g. case {changed[0]!r}); run eval again",
                             file=suite.source, field="cases")
    grader = Regrader(suites, judge_factory)
    grader.build_all()  # before the new run exists: a grader that cannot be built leaves no half run
    old_rows = list(store.samples(run_id))
    remote = getattr(executor, "map_chunks", None)
    if callable(remote) and old_rows:
        chunks = [old_rows[i:i + chunk_size] for i in range(0, len(old_rows), max(1, chunk_size))]
        rows = [r for part in remote(grader, chunks) for r in part]
    else:
        rows = grader(old_rows)
    new_id = new_run_id()
    suites_meta = [{**s, "version": suites[s["name"]].version, "regraded_from": run_id} for s in meta["suites"]]
    store.create_run(new_id, f"regrade:{run_id}:{new_id}", meta["target_spec"], meta["fingerprint"],
                     meta["config"], suites_meta)
    old_cases = store.cases(run_id)
    store.add_cases(new_id, ((c["suite"], c["id"], i, c["tags"], c["parent"], c["expect"], c["input"], c["reference"],
                              c["metadata"])
                             for i, c in enumerate(old_cases)))
    store.add_samples(new_id, rows)
    store.finish_run(new_id)
    return new_id
