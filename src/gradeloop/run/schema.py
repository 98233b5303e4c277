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

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    mean: Optional[float] = None
    stderr: Optional[float] = None
    ci_low: Optional[float] = None
    ci_high: Optional[float] = None
    n_cases: int = Field(ge=0)
    n_samples: int = Field(0, ge=0)


class Errors(_Model):
    target: int = Field(ge=0)
    grader: int = Field(ge=0)
    samples: int = Field(ge=0)


class Metrics(_Model):
    pass_rate: Estimate
    score: Estimate
    errors: Errors


class ThresholdResult(_Model):
    min_pass_rate: float
    on: str
    value: Optional[float] = None
    passed: bool


class SuiteEntry(_Model):
    name: str
    version: Optional[str] = None
    split: Optional[str] = None
    source: Optional[str] = None
    thresholds: Optional[dict[str, Any]] = None
    metrics: Metrics
    thresholds_result: Optional[ThresholdResult] = None


class Target(_Model):
    spec: str
    fingerprint: str


class Grade(_Model):
    grader: str
    score: Optional[float] = None
    passed: Optional[bool] = None
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
    cases: list[Case]


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
    try:
        RunDocument.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and (
            p.startswith("function-") or p in ("str", "list[Message]", "int", "float", "bool", "none"))))
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "missing"
        raise InputError(f"not a valid run file: {msg}", file=file, field=_field(loc) or None) from None
    data["target"]["spec"] = redact_spec(data["target"]["spec"])  # files written before redaction existed
    return data


def read_run_file(path: str | Path) -> dict[str, Any]:
    """Read, decode and validate a run JSON file; every failure is one InputError (exit code 2)."""
    file = str(path)
    text = decode_utf8(read_input_bytes(path, what="run JSON file"), file)
    return validate_run(safejson.loads(text, file), file)
