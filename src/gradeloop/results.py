"""Typed, frozen views of the run and compare documents (`gradeloop.run/v1`, `gradeloop.compare/v1`).

The JSON documents stay the contract (the CLI, the store and the reports read them); these classes
are how Python code reads them without indexing dicts. Each keeps the document it was built from
(`raw`), so `to_json()` round-trips every field, including fields added after this module was
written, and `from_json()` ignores keys it does not know instead of failing on them.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from gradeloop.errors import InputError
from gradeloop.stats.estimate import Estimate

RUN_SCHEMA = "gradeloop.run/v1"
COMPARE_SCHEMA = "gradeloop.compare/v1"
TUNE_SCHEMA = "gradeloop.tune/v1"

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _estimate(value: Any, field_name: str) -> Estimate:
    """An Estimate from its dict; a missing one (older or partial documents) is 'no information'."""
    if value is None:
        return Estimate(0.0, 0.0, 0.0, 1.0, 0, 0)
    return Estimate.from_dict(value, field=field_name)


def _opt_estimate(value: Any, field_name: str) -> Estimate | None:
    return None if value is None else Estimate.from_dict(value, field=field_name)


def _frozen(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value)) if value else _EMPTY


def _document(data: Mapping[str, Any] | str | Path, schema: str) -> dict[str, Any]:
    """A document from a dict, a JSON string or a JSON file, checked to carry `schema`."""
    source = None
    if isinstance(data, Path) or (isinstance(data, str) and not data.lstrip().startswith("{")):
        source = str(data)
        try:
            data = Path(data).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read: {exc}", file=source) from None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg}", file=source, line=exc.lineno) from None
    if not isinstance(data, Mapping):
        raise InputError(f"expected a JSON object, got {type(data).__name__}", file=source)
    if data.get("schema") != schema:
        raise InputError(f"not a {schema} document (schema is {data.get('schema')!r})", file=source,
                         field="schema")
    return dict(data)


@dataclass(frozen=True, slots=True)
class GradeResult:
    """One grader's verdict on one output."""

    grader: str
    passed: bool | None
    score: float | None
    reason: str = ""
    error: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "GradeResult":
        return cls(str(data.get("grader", "")), data.get("passed"), data.get("score"),
                   str(data.get("reason") or ""), data.get("error"))


@dataclass(frozen=True, slots=True)
class SampleResult:
    """One generated output, its grades, and the error that kept it from a verdict (if any)."""

    index: int
    output: str | None
    passed: bool | None
    score: float | None
    grades: tuple[GradeResult, ...] = ()
    error: str | None = None
    error_kind: str | None = None  # "target" | "grader" | None
    latency_s: float | None = None
    cached: bool = False
    signals: Mapping[str, float] = field(default_factory=lambda: _EMPTY)

    @property
    def first_reason(self) -> str:
        """Why it did not pass: the error, else the first failing grader's reason."""
        if self.error:
            return self.error
        failing = next((g for g in self.grades if g.passed is False), None)
        if failing is not None:
            return f"{failing.grader}: {failing.reason}" if failing.reason else failing.grader
        if not self.grades and self.passed is None:
            return "no grader judged this output"
        return ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "SampleResult":
        passed = data.get("passed")
        return cls(int(data.get("index", 0)), data.get("output"), None if passed is None else bool(passed),
                   data.get("score"), tuple(GradeResult.from_json(g) for g in data.get("grades") or ()),
                   data.get("error"), data.get("error_kind"), data.get("latency_s"), bool(data.get("cached")),
                   _frozen(data.get("signals")))


@dataclass(frozen=True, slots=True)
class CaseResult:
    """A case and its samples; `pass_rate` is the share of valid samples that passed (None: none valid)."""

    suite: str
    id: str
    tags: Mapping[str, str]
    pass_rate: float | None
    samples: tuple[SampleResult, ...] = ()
    input: Any = None
    reference: str | None = None
    expect: str | None = None
    parent: str | None = None

    @property
    def passed(self) -> bool:
        """Every sample passed (a sample with an error is not a pass)."""
        return bool(self.samples) and all(s.passed is True for s in self.samples)

    @property
    def errored(self) -> bool:
        return any(s.error_kind is not None for s in self.samples)

    @property
    def first_failure(self) -> SampleResult | None:
        """The first sample that did not pass, for reports."""
        return next((s for s in self.samples if s.passed is not True), None)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "CaseResult":
        return cls(str(data.get("suite", "")), str(data.get("id", "")), _frozen(data.get("tags")),
                   data.get("pass_rate"), tuple(SampleResult.from_json(s) for s in data.get("samples") or ()),
                   data.get("input"), data.get("reference"), data.get("expect"), data.get("parent"))


@dataclass(frozen=True, slots=True)
class ErrorCounts:
    """Samples that reached no verdict, apart from failures: infrastructure errors are not model failures."""

    target: int = 0
    grader: int = 0
    samples: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "ErrorCounts":
        data = data or {}
        return cls(int(data.get("target", 0)), int(data.get("grader", 0)), int(data.get("samples", 0)))


@dataclass(frozen=True, slots=True)
class Metrics:
    """pass_rate and score with their intervals, pass@k / pass^k when sampled, and error counts."""

    pass_rate: Estimate
    score: Estimate
    errors: ErrorCounts = ErrorCounts()
    extra: Mapping[str, Estimate] = field(default_factory=lambda: _EMPTY)  # "pass@5", "pass^5", ...

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None, where: str = "metrics") -> "Metrics":
        data = data or {}
        extra = {k: Estimate.from_dict(v, field=f"{where}.{k}") for k, v in data.items()
                 if k.startswith(("pass@", "pass^")) and isinstance(v, Mapping)}
        return cls(_estimate(data.get("pass_rate"), f"{where}.pass_rate"),
                   _estimate(data.get("score"), f"{where}.score"),
                   ErrorCounts.from_json(data.get("errors")), MappingProxyType(extra))


@dataclass(frozen=True, slots=True)
class ThresholdResult:
    """A suite threshold's outcome; `verdict` is pass, fail or inconclusive (which fails too)."""

    min_pass_rate: float
    on: str
    value: float | None
    passed: bool
    verdict: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ThresholdResult":
        passed = bool(data.get("passed"))
        verdict = str(data.get("verdict") or ("pass" if passed else "fail"))
        return cls(float(data.get("min_pass_rate", 0.0)), str(data.get("on", "mean")), data.get("value"),
                   passed and verdict == "pass", verdict)


@dataclass(frozen=True, slots=True)
class SuiteResult:
    """One suite of a run: its version, split, metrics and threshold outcome."""

    name: str
    version: str
    split: str
    metrics: Metrics
    threshold: ThresholdResult | None = None

    @property
    def pass_rate(self) -> Estimate:
        return self.metrics.pass_rate

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "SuiteResult":
        tr = data.get("thresholds_result")
        name = str(data.get("name", ""))
        return cls(name, str(data.get("version", "")), str(data.get("split", "")),
                   Metrics.from_json(data.get("metrics"), f"suites[{name}].metrics"),
                   ThresholdResult.from_json(tr) if isinstance(tr, Mapping) else None)


@dataclass(frozen=True, slots=True)
class RunResult:
    """A run: target, suites, metrics with intervals, slices and (for full documents) every case.

    `cases` is empty for a run summary (the CLI's table-only path). `raw` is the document itself.
    """

    run_id: str
    status: str
    target: str
    fingerprint: str
    samples_per_case: int
    metrics: Metrics
    suites: tuple[SuiteResult, ...]
    slices: Mapping[str, Metrics]
    cases: tuple[CaseResult, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=lambda: _EMPTY)

    @property
    def pass_rate(self) -> Estimate:
        return self.metrics.pass_rate

    @property
    def score(self) -> Estimate:
        return self.metrics.score

    @property
    def errors(self) -> ErrorCounts:
        return self.metrics.errors

    @property
    def threshold_failures(self) -> list[str]:
        """Suites whose threshold did not pass (a failed or inconclusive threshold)."""
        return [s.name for s in self.suites if s.threshold is not None and not s.threshold.passed]

    @property
    def passed(self) -> bool:
        """The run finished (status `done`) and every suite threshold passed; a run without thresholds passes."""
        return self.status == "done" and not self.threshold_failures

    @property
    def failing_cases(self) -> list[CaseResult]:
        """Cases with a sample that failed or errored, in run order."""
        return [c for c in self.cases if not c.passed]

    def case(self, case_id: str, suite: str | None = None) -> CaseResult:
        for c in self.cases:
            if c.id == case_id and (suite is None or c.suite == suite):
                return c
        raise KeyError(case_id)

    def to_json(self) -> dict[str, Any]:
        """The run document (schema gradeloop.run/v1), a copy the caller may change."""
        return copy.deepcopy(dict(self.raw))

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str | Path) -> "RunResult":
        """Read a run document (a dict, JSON text or a file path); unknown keys are kept in `raw`."""
        doc = _document(data, RUN_SCHEMA)
        target = doc.get("target") or {}
        slices = {name: Metrics.from_json(v, f"slices[{name}]") for name, v in (doc.get("slices") or {}).items()}
        return cls(str(doc.get("run_id", "")), str(doc.get("status", "")), str(target.get("spec", "")),
                   str(target.get("fingerprint", "")), int(doc.get("samples_per_case", 1)),
                   Metrics.from_json(doc.get("metrics")),
                   tuple(SuiteResult.from_json(s) for s in doc.get("suites") or ()),
                   MappingProxyType(slices), tuple(CaseResult.from_json(c) for c in doc.get("cases") or ()),
                   MappingProxyType(doc))


@dataclass(frozen=True, slots=True)
class Difference:
    """Paired comparison of one scope (all, a suite, a slice, a grader): candidate − baseline."""

    n_cases: int
    baseline: Estimate
    candidate: Estimate
    diff: Estimate | None
    p_value_adjusted: float | None
    mde: float | None
    verdict: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str) -> "Difference":
        return cls(int(data.get("n_cases", 0)), _estimate(data.get("baseline"), f"{where}.baseline"),
                   _estimate(data.get("candidate"), f"{where}.candidate"),
                   _opt_estimate(data.get("diff"), f"{where}.diff"), data.get("p_value_adjusted"),
                   data.get("mde"), str(data.get("verdict", "untested")))


@dataclass(frozen=True, slots=True)
class Check:
    """One gate check (no_regression, non_inferiority, floor, max_gap) and its message."""

    kind: str
    scope: str
    passed: bool
    message: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Check":
        return cls(str(data.get("kind", "")), str(data.get("scope", "")), bool(data.get("passed")),
                   str(data.get("message", "")))


@dataclass(frozen=True, slots=True)
class CaseChange:
    """A shared case whose mean (of the compared metric) moved: `candidate` is None when it only errored."""

    case: str  # "suite/case_id"
    baseline: float
    candidate: float | None
    change: float
    output: str | None = None  # the candidate's telling sample (first failing or errored), cut to 200 chars
    reason: str | None = None  # its first failing grade's reason

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "CaseChange":
        cand = data.get("candidate")
        return cls(str(data.get("case", "")), float(data.get("baseline", 0.0)), None if cand is None else float(cand),
                   float(data.get("change", 0.0)), data.get("output"), data.get("reason"))


@dataclass(frozen=True, slots=True)
class Comparison:
    """A baseline-vs-candidate comparison and the gate verdict (pass | fail | inconclusive)."""

    baseline_run_id: str
    candidate_run_id: str
    metric: str
    shared_cases: int
    overall: Difference
    slices: Mapping[str, Difference]
    graders: Mapping[str, Difference]
    checks: tuple[Check, ...]
    verdict: str
    failing: tuple[str, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=lambda: _EMPTY)

    @property
    def passed(self) -> bool:
        """Only an explicit pass passes: an inconclusive gate fails closed."""
        return self.verdict == "pass"

    @property
    def diff(self) -> Estimate | None:
        return self.overall.diff

    @property
    def regressed(self) -> tuple[CaseChange, ...]:
        """The shared cases that got worse, largest drop first (the 20 largest; `raw` has the count)."""
        return tuple(CaseChange.from_json(c) for c in (self.raw.get("cases_changed") or {}).get("regressed", ()))

    @property
    def improved(self) -> tuple[CaseChange, ...]:
        """The shared cases that got better, largest gain first (the 20 largest)."""
        return tuple(CaseChange.from_json(c) for c in (self.raw.get("cases_changed") or {}).get("improved", ()))

    def to_json(self) -> dict[str, Any]:
        """The compare document (schema gradeloop.compare/v1), a copy the caller may change."""
        return copy.deepcopy(dict(self.raw))

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str | Path) -> "Comparison":
        doc = _document(data, COMPARE_SCHEMA)
        return cls(str((doc.get("baseline") or {}).get("run_id", "")),
                   str((doc.get("candidate") or {}).get("run_id", "")), str(doc.get("metric", "pass_rate")),
                   int(doc.get("shared_cases", 0)), Difference.from_json(doc.get("overall") or {}, "overall"),
                   MappingProxyType({k: Difference.from_json(v, f"slices[{k}]")
                                     for k, v in (doc.get("slices") or {}).items()}),
                   MappingProxyType({k: Difference.from_json(v, f"graders[{k}]")
                                     for k, v in (doc.get("graders") or {}).items()}),
                   tuple(Check.from_json(c) for c in doc.get("checks") or ()), str(doc.get("verdict", "fail")),
                   tuple(str(f) for f in doc.get("failing") or ()), MappingProxyType(doc))


@dataclass(frozen=True, slots=True)
class TuneIteration:
    """One tuning iteration: what ran, the gate's verdict on it and whether it was kept."""

    index: int
    strategy: str
    kept: bool
    verdict: str
    reasons: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any], index: int) -> "TuneIteration":
        gate = data.get("gate") or {}
        return cls(int(data.get("iteration", index)), str(data.get("strategy", "")), bool(data.get("kept")),
                   str(gate.get("verdict") or ("pass" if data.get("kept") else "fail")),
                   tuple(str(r) for r in data.get("reasons") or ()))


@dataclass(frozen=True, slots=True)
class TuneReport:
    """A tuning report (schema gradeloop.tune/v1): iterations, kept adapter, held-out improvement."""

    base: str
    iterations: tuple[TuneIteration, ...]
    adapter: str | None
    holdout_improvement: Estimate | None
    guard_changes: Mapping[str, Estimate | None]
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=lambda: _EMPTY)

    def to_json(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self.raw))

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str | Path) -> "TuneReport":
        doc = _document(data, TUNE_SCHEMA)
        final = doc.get("final") or {}
        guards = {name: _opt_estimate((g or {}).get("diff"), f"final.guard_changes.{name}")
                  for name, g in (final.get("guard_changes") or {}).items()}
        return cls(str((doc.get("base") or {}).get("spec", "")),
                   tuple(TuneIteration.from_json(it, i + 1) for i, it in enumerate(doc.get("iterations") or ())),
                   final.get("adapter"), _opt_estimate(final.get("holdout_improvement"), "final.holdout_improvement"),
                   MappingProxyType(guards), MappingProxyType(doc))
