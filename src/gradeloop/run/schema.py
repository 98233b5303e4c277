"""The run JSON schema (gradeloop.run/v1), checked whenever a run file is read.

`compare`, `report`, `gate` and `plan` read run files that may come from anywhere (an artifact
of another job, an edited file). Each reads fields deep inside; a missing key or a string where
a number belongs would otherwise crash there with a traceback. Validation here turns every such
file into one InputError naming the file and the field (`cases[3].samples[0].passed`).

The models are pydantic in strict mode (no "yes" for a bool, no "0.5" for a number) and allow
extra fields, so files from newer versions (verdicts, robustness, tool calls) still load. The
validated models are thrown away: callers keep the plain dict they always had.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gradeloop import safejson
from gradeloop.errors import InputError
from gradeloop.files import read_input_bytes
from gradeloop.suite.text import decode_utf8
from gradeloop.targets.redact import redact_spec

RUN_SCHEMA = "gradeloop.run/v1"
_MAX_SAMPLES = 10_000_000


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class Estimate(_Model):
    mean: Optional[float]
    stderr: Optional[float]
    ci_low: Optional[float]
    ci_high: Optional[float]
    n_cases: int = Field(ge=0)
    n_samples: int = Field(ge=0)

    @model_validator(mode="after")
    def _numbers_when_measured(self) -> "Estimate":
        if self.n_cases > 0 and None in (self.mean, self.ci_low, self.ci_high):
            raise ValueError("an estimate over cases needs numbers for mean, ci_low and ci_high")
        return self


class Errors(_Model):
    target: int = Field(ge=0)
    grader: int = Field(ge=0)
    samples: int = Field(ge=0)
    missing: int = Field(0, ge=0)
    planned: Optional[int] = Field(None, ge=0)
    rate: Optional[float] = None


class Metrics(_Model):
    pass_rate: Estimate
    score: Estimate
    errors: Errors


class ThresholdResult(_Model):
    min_pass_rate: float
    on: str
    value: Optional[float]
    passed: bool
    verdict: Optional[str] = None
    reason: Optional[str] = None


class SuiteEntry(_Model):
    name: str
    version: Optional[str] = None
    split: Optional[str] = None
    source: Optional[str] = None
    thresholds: Optional[dict[str, Any]] = None
    metrics: Metrics
    thresholds_result: Optional[ThresholdResult] = None
    verdict: Optional[str] = None


class Target(_Model):
    spec: str
    fingerprint: str


class Grade(_Model):
    grader: str
    score: Optional[float]
    passed: Optional[bool]
    reason: Optional[str] = None
    error: Optional[str] = None


class Sample(_Model):
    index: int = Field(ge=0, le=_MAX_SAMPLES)
    output: Optional[str] = None
    passed: Optional[bool] = None
    score: Optional[float] = None
    grades: list[Grade]
    signals: dict[str, float] = Field(default_factory=dict)
    logprobs: Optional[list[float]] = None
    error: Optional[str] = None
    error_kind: Optional[Literal["target", "grader"]] = None
    latency_s: Optional[float] = None
    cached: bool = False
    usage: Optional[dict[str, Any]] = None


class Message(_Model):
    role: str


class Case(_Model):
    suite: str
    id: str
    tags: dict[str, Union[str, int, float, bool, None]] = Field(default_factory=dict)
    parent: Optional[str] = None
    expect: Optional[str] = None
    input: Union[str, list[Message]]
    metadata: dict[str, Any] = Field(default_factory=dict)
    samples: list[Sample]
    pass_rate: Optional[float] = None


class Slice(_Model):
    pass_rate: Estimate
    score: Estimate
    errors: Optional[Errors] = None


class GraderEntry(_Model):
    pass_rate: Estimate


class RunDocument(_Model):
    schema_: Literal["gradeloop.run/v1"] = Field(alias="schema")
    run_id: str
    status: str
    target: Target
    suites: list[SuiteEntry]
    samples_per_case: int = Field(ge=1, le=_MAX_SAMPLES)
    config: dict[str, Any]
    metrics: Metrics
    slices: dict[str, Slice]
    graders: Optional[dict[str, GraderEntry]] = None
    error_messages: Optional[list[ErrorMessage]] = None
    cases: list[Case]


COMPARE_SCHEMA = "gradeloop.compare/v1"
TUNE_SCHEMA = "gradeloop.tune/v1"


class RunRef(_Model):
    run_id: str
    target: Target


class ErrorMessage(_Model):
    count: int
    message: str


class ComparePolicy(_Model):
    margin: float


class Difference(_Model):
    n_cases: int = Field(ge=0)
    baseline: Optional[Estimate]
    candidate: Optional[Estimate]
    diff: Optional[Estimate] = None
    p_value_adjusted: Optional[float] = None
    mde: Optional[float] = None
    verdict: str


class Check(_Model):
    kind: str
    scope: str
    passed: bool
    message: str


class ChangedCase(_Model):
    case: str
    baseline: float
    candidate: Optional[float]
    change: float
    output: Optional[str] = None
    reason: Optional[str] = None


class CasesChanged(_Model):
    n_regressed: int = Field(ge=0)
    n_improved: int = Field(ge=0)
    regressed: list[ChangedCase]
    improved: list[ChangedCase]


class CompareDocument(_Model):
    schema_: Literal["gradeloop.compare/v1"] = Field(alias="schema")
    baseline: RunRef
    candidate: RunRef
    shared_cases: int = Field(ge=0)
    overall: Difference
    slices: dict[str, Difference]
    graders: dict[str, Difference]
    checks: list[Check]
    verdict: str
    failing: list[str]
    policy: ComparePolicy
    to_decide: Optional[list[str]] = None
    error_messages: Optional[list[ErrorMessage]] = None
    only_in_baseline: list[str]
    only_in_candidate: list[str]
    cases_changed: Optional[CasesChanged] = None


class WallTime(_Model):
    train: float
    eval: float


class Iteration(_Model):
    iteration: int
    strategy: str
    steps: int
    wall_time_s: WallTime
    kept: bool
    focus: Optional[Estimate] = None
    holdout: Optional[Estimate] = None
    guard: Optional[dict[str, Optional[Estimate]]] = None
    train_reward: Optional[list[float]] = None
    reasons: list[str] = Field(default_factory=list)


class Final(_Model):
    holdout_improvement: Optional[Estimate] = None


class TuneDocument(_Model):
    schema_: Literal["gradeloop.tune/v1"] = Field(alias="schema")
    tune_id: str
    strategy: str
    base: Target
    stopped_because: str
    baseline: dict[str, Any]
    iterations: list[Iteration]
    final: Final


RunDocument.model_rebuild()  # it names ErrorMessage, defined after it


class LooseSample(_Model):
    index: Optional[int] = Field(None, ge=0, le=_MAX_SAMPLES)
    output: Optional[str] = None
    passed: Optional[bool] = None
    score: Optional[float] = None
    grades: list[Grade] = Field(default_factory=list)
    signals: dict[str, float] = Field(default_factory=dict)
    logprobs: Optional[list[float]] = None
    error: Optional[str] = None
    error_kind: Optional[Literal["target", "grader"]] = None


class LooseCase(_Model):
    suite: str
    id: str
    tags: dict[str, Union[str, int, float, bool, None]] = Field(default_factory=dict)
    parent: Optional[str] = None
    expect: Optional[str] = None
    samples: list[LooseSample]


class RunCases(_Model):
    """What readers of samples alone need (calibrate, probes): a run file may hold just its cases."""

    schema_: Literal["gradeloop.run/v1"] = Field(alias="schema")
    run_id: str
    cases: list[LooseCase]

_MODELS: dict[str, type[_Model]] = {RUN_SCHEMA: RunDocument, COMPARE_SCHEMA: CompareDocument,
                                    TUNE_SCHEMA: TuneDocument}


def validate_document(data: Any, file: str) -> dict[str, Any]:
    """A run, compare or tune document checked against its schema (reports read any of them)."""
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema == RUN_SCHEMA or schema not in _MODELS:
        return validate_run(data, file)
    _validate(_MODELS[schema], data, file, schema.split(".")[1].split("/")[0])
    return data


def _validate(model: type[_Model], data: dict, file: str, kind: str) -> None:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and (
            p.startswith("function-") or p in ("str", "list[Message]", "int", "float", "bool", "none"))))
        msg = "missing" if err["type"] == "missing" else err["msg"].removeprefix("Value error, ")
        raise InputError(f"not a valid {kind} file: {msg}", file=file, field=_field(loc) or None) from None


def _field(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate_run(data: Any, file: str) -> dict[str, Any]:
    """`data` if it is a run document; otherwise an InputError naming the first wrong field."""
    if not isinstance(data, dict):
        raise InputError(f"not a run file: expected a JSON object (schema {RUN_SCHEMA})", file=file)
    if data.get("schema") != RUN_SCHEMA:
        raise InputError(f"not a run file (schema must be {RUN_SCHEMA})", file=file, field="schema")
    _validate(RunDocument, data, file, "run")
    data["target"]["spec"] = redact_spec(data["target"]["spec"])  # files written before redaction existed
    return data


def read_run_file(path: str | Path, *, cases_only: bool = False) -> dict[str, Any]:
    """Read, decode and validate a run JSON file; every failure is one InputError (exit code 2).

    `cases_only` asks only for what sample readers use (`RunCases`), not the whole run document.
    """
    file = str(path)
    text = decode_utf8(read_input_bytes(path, what="run JSON file"), file)
    data = safejson.loads(text, file)
    if not cases_only:
        return validate_run(data, file)
    if not isinstance(data, dict) or data.get("schema") != RUN_SCHEMA:
        raise InputError(f"not a run file (schema must be {RUN_SCHEMA})", file=file, field="schema")
    _validate(RunCases, data, file, "run")
    return data


def load_run_cases(ref: str, store: str | Path | None = None) -> dict[str, Any]:
    """A run by id, `latest`, or a file that may hold only `schema`, `run_id` and `cases` (calibrate, probes)."""
    path = Path(ref)
    if ref.endswith(".json") or (path.is_file() and ref != "latest"):
        return read_run_file(path, cases_only=True)
    from gradeloop.run.results import load_run

    return load_run(ref, store)
