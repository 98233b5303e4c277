"""Shape of the output: json_valid, json_schema (jsonschema library) and length bounds."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import jsonschema
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for
from pydantic import Field, model_validator

from gradeloop.graders.base import Grade
from gradeloop.graders.registry import BuildContext, Params, register

if TYPE_CHECKING:
    from gradeloop.suite.model import Case

_FENCE = re.compile(r"```[ \t]*(?:json|JSON|jsonc)?[ \t]*\r?\n(.*?)\r?\n?```", re.DOTALL)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259 has no NaN or Infinity)")


def strict_json_loads(text: str) -> Any:
    """json.loads that refuses NaN, Infinity and -Infinity, which Python's parser accepts but JSON lacks."""
    return json.loads(text, parse_constant=_no_constant)


def parse_json_output(output: str, allow_fence: bool = True) -> tuple[Any, str | None]:
    """(value, None) when the output is JSON, or JSON inside a ```json fence; else (None, why not)."""
    try:
        return strict_json_loads(output), None
    except (ValueError, RecursionError) as exc:
        first_error = f"not JSON: {exc}"
    if allow_fence:
        for m in _FENCE.finditer(output):
            try:
                return strict_json_loads(m.group(1)), None
            except (ValueError, RecursionError) as exc:
                first_error = f"fenced block is not JSON: {exc}"
    return None, first_error


class JsonParams(Params):
    """How to find the JSON in the output."""

    allow_fence: bool = Field(True, description="Also accept JSON inside a ```json code fence.")


@dataclass(frozen=True, slots=True)
class JsonValidGrader:
    """Passes when the output parses as JSON."""

    name: str
    weight: float
    allow_fence: bool

    def grade(self, case: "Case", output: str) -> Grade:
        _, err = parse_json_output(output, self.allow_fence)
        return Grade(0.0 if err else 1.0, err is None, err or "valid JSON", self.name)


@register("json_valid", JsonParams, "Passes when the output is valid JSON (a ```json fence is accepted).")
def build_json_valid(p: JsonParams, ctx: BuildContext) -> JsonValidGrader:
    return JsonValidGrader(p.name or ctx.default_name, p.weight, p.allow_fence)


class JsonSchemaParams(JsonParams):
    """A JSON Schema the output's JSON must satisfy."""

    schema_: dict[str, Any] | bool = Field(alias="schema", description="JSON Schema (draft chosen by its $schema; default 2020-12).")


@dataclass(frozen=True, slots=True)
class JsonSchemaGrader:
    """Parses the output as JSON and validates it against a checked schema."""

    name: str
    weight: float
    allow_fence: bool
    validator: Any  # a jsonschema Validator instance: thread-safe for validation

    def grade(self, case: "Case", output: str) -> Grade:
        value, err = parse_json_output(output, self.allow_fence)
        if err:
            return Grade(0.0, False, err, self.name)
        error = jsonschema.exceptions.best_match(self.validator.iter_errors(value))
        if error is None:
            return Grade(1.0, True, "matches the schema", self.name)
        path = "/".join(str(p) for p in error.absolute_path) or "(root)"
        return Grade(0.0, False, f"schema violation at {path}: {error.message[:200]}", self.name)


@register("json_schema", JsonSchemaParams,
          "Passes when the output is JSON (a ```json fence is accepted) that validates against the schema.")
def build_json_schema(p: JsonSchemaParams, ctx: BuildContext) -> JsonSchemaGrader:
    cls = validator_for(p.schema_, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(p.schema_)
    except SchemaError as exc:
        where = "/".join(str(x) for x in exc.absolute_path) or "(root)"
        ctx.error(f"invalid JSON Schema at {where}: {exc.message}", "schema")
    return JsonSchemaGrader(p.name or ctx.default_name, p.weight, p.allow_fence, cls(p.schema_))


class LengthParams(Params):
    """Bounds on the output's length."""

    min: int | None = Field(None, ge=0, description="Minimum length (inclusive).")
    max: int | None = Field(None, ge=0, description="Maximum length (inclusive).")
    unit: Literal["chars", "words"] = Field("chars", description="Count characters or whitespace-separated words.")

    @model_validator(mode="after")
    def _bounds(self) -> "LengthParams":
        if self.min is None and self.max is None:
            raise ValueError("give `min`, `max` or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


@dataclass(frozen=True, slots=True)
class LengthGrader:
    """Passes when the length in chars or words lies within [min, max]."""

    name: str
    weight: float
    min: int | None
    max: int | None
    words: bool

    def grade(self, case: "Case", output: str) -> Grade:
        n = len(output.split()) if self.words else len(output)
        ok = (self.min is None or n >= self.min) and (self.max is None or n <= self.max)
        bounds = ", ".join(f"{k} {v}" for k, v in (("min", self.min), ("max", self.max)) if v is not None)
        reason = f"{n} {'words' if self.words else 'chars'} ({bounds})"
        return Grade(1.0 if ok else 0.0, ok, reason, self.name)


@register("length", LengthParams, "Passes when the output's length in chars or words is within [min, max].")
def build_length(p: LengthParams, ctx: BuildContext) -> LengthGrader:
    return LengthGrader(p.name or ctx.default_name, p.weight, p.min, p.max, p.unit == "words")
