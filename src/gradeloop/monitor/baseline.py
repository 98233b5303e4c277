"""The reference production is compared with: a release run (run id, `latest`, run JSON) or a log.

A run's outputs are regraded with the monitor's graders, so the baseline pass rate is the same
check production gets (the run's own pass rate also counts case-specific graders, which logged
requests do not have); the run's stored pass rate is kept alongside for reference.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from gradeloop.errors import InputError
from gradeloop.graders import is_refusal
from gradeloop.monitor.drift import FeatureSample, quantile_edges
from gradeloop.monitor.ingest import BadLines, iter_logs
from gradeloop.monitor.scoring import Scored, Scorer
from gradeloop.monitor.windows import Window
from gradeloop.run import load_run
from gradeloop.suite.model import Case

_LOG_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")


@dataclass(frozen=True)
class Baseline:
    """Counts, outcomes and feature values of the reference, with the PSI bin edges fixed from it."""

    source: str
    kind: str  # "run" | "log"
    window: Window
    features: FeatureSample
    edges: dict[str, np.ndarray]
    stored_pass_rate: dict[str, Any] | None = None
    ingest: dict[str, Any] | None = None  # bad-line counts of a log baseline

    @property
    def passed(self) -> int:
        return self.window.counts.passed

    @property
    def graded(self) -> int:
        return self.window.counts.graded

    def as_dict(self, level: float = 0.95) -> dict[str, Any]:
        out = {"source": self.source, "kind": self.kind, **self.window.counts.as_dict(level),
               "features": {f: self.features.size(f) for f in [*self.features.numeric, *self.features.categorical]}}
        if self.stored_pass_rate is not None:
            out["stored_pass_rate"] = self.stored_pass_rate
        if self.ingest is not None:
            out["ingest"] = self.ingest
        return out


def _case_input(value: Any, where: str, source: str) -> str | tuple:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(m, dict) for m in value):
        return tuple(value)
    raise InputError("a case input must be a string or chat messages", file=source, field=where)


def _run_samples(run: dict[str, Any], scorer: Scorer, source: str) -> Iterator[Scored]:
    cases = run.get("cases")
    if not isinstance(cases, list):
        raise InputError("the run has no `cases` list", file=source, field="cases")
    for ci, c in enumerate(cases):
        if not isinstance(c, dict) or not isinstance(c.get("samples"), list):
            raise InputError("expected a case with a `samples` list", file=source, field=f"cases[{ci}]")
        tags = {str(k): str(v) for k, v in (c.get("tags") or {}).items()}
        case = Case(id=f"{c.get('suite', '')}/{c.get('id', ci)}",
                    input=_case_input(c.get("input", ""), f"cases[{ci}].input", source), tags=tags)
        for si, s in enumerate(c["samples"]):
            output = s.get("output")
            signals = s.get("signals") or {}
            conf = signals.get("confidence") if isinstance(signals, dict) else None
            conf = float(conf) if isinstance(conf, (int, float)) and not isinstance(conf, bool) else None
            latency = s.get("latency_s")
            latency = float(latency) if isinstance(latency, (int, float)) and not isinstance(latency, bool) else None
            if s.get("error_kind") == "target" or not isinstance(output, str):
                yield Scored(0.0, tags, True, None, None, None, None, None, latency, None)
                continue
            try:
                passed, score, gerr = scorer.grade(case, output)
            except InputError as exc:
                raise InputError(f"baseline case cannot be graded: {exc}", file=source,
                                 field=f"cases[{ci}].samples[{si}]") from None
            yield Scored(0.0, tags, False, passed, score, gerr, is_refusal(output), len(output.split()),
                         latency, conf)


def load_baseline(ref: str, scorer: Scorer, make: Callable[[float, float], Window], *, bins: int,
                  store: str | Path | None = None, skip_bad: int = 0) -> Baseline:
    """Build the baseline from a run reference or a production log; `make` gives its accumulator."""
    window = make(0.0, 0.0)
    if ref.endswith(_LOG_SUFFIXES):
        bad = BadLines(limit=skip_bad)
        for record in iter_logs([ref], bad):
            try:
                window.add(scorer.score(record))
            except InputError as exc:  # a request the graders cannot take (a {{ tags.x }} it lacks)
                bad.report(exc)
        kind, stored, ingest = "log", None, bad.as_dict()
    else:
        run = load_run(ref, store)
        for s in _run_samples(run, scorer, ref):
            window.add(s)
        kind, ingest = "run", None
        stored = (run.get("metrics") or {}).get("pass_rate")
        ref = f"{ref} ({run.get('run_id', '?')})" if not ref.endswith(".json") else ref
    if window.counts.n == 0:
        raise InputError("the baseline has no requests", file=ref, field="baseline")
    features = window.features()
    edges = {f: quantile_edges(v, bins) for f, v in features.numeric.items()}
    return Baseline(ref, kind, window, features, edges, stored, ingest)
