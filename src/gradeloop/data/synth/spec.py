"""The SPEC.yaml of `gradeloop synth`: spec → generate → filter → dedupe → mix.

```yaml
name: reset-synth            # name of the registered output dataset
seed: 7                      # drives slot sampling, teacher seeds and the mix
output: out/train.jsonl      # the mixed training set (JSONL); paths are relative to this file
synthetic_output: out/synthetic.jsonl   # optional: the synthetic rows alone (registered too)
registry: .gradeloop/data.db # optional; default $GRADELOOP_DATA_DB or .gradeloop/data.db
generate:
  seeds: [suites/dev.yaml]   # optional suites whose cases fill {{ input }}, {{ reference }},
                             # {{ case_id }}; a holdout suite is refused
  templates:                 # combinatorial: every combination of slot values (× seed cases)
    - prompt: "How do I reset my {{ thing }} on {{ device }}?"
      response: "Open Settings on the {{ device }} and choose Reset {{ thing }}."   # optional
      slots: {thing: [password, PIN], device: [phone, laptop]}
      tags: {intent: reset, device: "{{ device }}"}
      count: 3               # optional: a seeded sample of that many combinations
  teacher:                   # optional: a model writes rows (openai:..., hf:..., py:...)
    target: openai:gpt-4o-mini@http://localhost:8000/v1
    prompt: "Write a short question a customer asks about {{ topic }}."
    slots: {topic: [refunds, shipping]}
    output: prompt           # prompt: its text is the row's prompt; response (default): its text
                             # answers `input` (default: the prompt); json: {"prompt", "response"}
    input: null              # with output: response, what the student sees
    n: 2                     # completions per combination, each with its own seed
    count: null
    temperature: 0.8
    max_tokens: 256
    tags: {intent: faq}
filter:
  graders:                   # the same grader entries as suites; they grade the response
    - {type: not_contains, values: [disable security]}   # (the prompt when there is none)
  length: {min: 10, max: 2000, field: response}          # characters; field: response|prompt|text
  schema: {type: object}     # optional JSON schema the response must satisfy
  privacy: true              # drop rows with emails, phones, cards, IBAN/accounts, IPs
dedupe:
  jaccard: 0.7               # near-duplicate threshold (word-shingle Jaccard)
  containment: 0.8           # ...or this share of a row's shingles inside another text
  against: [data/pool.jsonl] # training files to dedupe against (the mix pool always is)
  suites: [suites/]          # evaluation suites, besides every registered one
  registered_suites: true
mix:
  pool: data/pool.jsonl      # existing training rows (JSONL objects)
  max_share: 0.2             # at most this share of the output is synthetic
  slice_by: [intent]         # tags reported per slice
```
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from gradeloop.errors import InputError
from gradeloop.suite.model import GraderSpec
from gradeloop.suite.text import read_text
from gradeloop.suite.yaml_tree import collect_lines, compose, to_python

SLOT = re.compile(r"\{\{\s*([A-Za-z_][\w]*)\s*\}\}")
SEED_FIELDS = frozenset({"input", "reference", "case_id"})
TEACHER_OUTPUTS = ("response", "prompt", "json")
LENGTH_FIELDS = ("response", "prompt", "text")


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """Rows from every combination of slot values (or a seeded sample of `count` of them)."""

    prompt: str
    response: str | None
    slots: Mapping[str, tuple[str, ...]]
    tags: Mapping[str, str]
    count: int | None
    line: int


@dataclass(frozen=True, slots=True)
class TeacherSpec:
    """Rows written by a teacher model from a templated prompt."""

    target: str
    prompt: str
    input: str | None
    output: str
    slots: Mapping[str, tuple[str, ...]]
    tags: Mapping[str, str]
    n: int
    count: int | None
    temperature: float
    max_tokens: int
    line: int


@dataclass(frozen=True, slots=True)
class FilterSpec:
    graders: tuple[GraderSpec, ...] = ()
    min_chars: int | None = None
    max_chars: int | None = None
    length_field: str = "response"
    schema: Mapping[str, Any] | None = None
    privacy: bool = True


@dataclass(frozen=True, slots=True)
class DedupeSpec:
    jaccard: float = 0.7
    containment: float = 0.8
    against: tuple[Path, ...] = ()
    suites: tuple[Path, ...] = ()
    registered_suites: bool = True


@dataclass(frozen=True, slots=True)
class MixSpec:
    pool: Path | None = None
    max_share: float = 0.2
    slice_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SynthSpec:
    """A parsed, validated SPEC.yaml; paths are resolved against the spec's folder."""

    path: Path
    spec_hash: str
    name: str
    seed: int
    output: Path
    synthetic_output: Path | None = None
    registry: Path | None = None
    seeds: tuple[Path, ...] = ()
    templates: tuple[TemplateSpec, ...] = ()
    teacher: TeacherSpec | None = None
    filter: FilterSpec = FilterSpec()
    dedupe: DedupeSpec = DedupeSpec()
    mix: MixSpec = MixSpec()
    lines: Mapping[str, int] = field(default_factory=dict)


class _Section:
    """Typed access to one mapping of the spec, every error naming file, line and field."""

    def __init__(self, data: Any, where: str, file: str, lines: Mapping[str, int], allowed: tuple[str, ...]) -> None:
        self.where, self.file, self.lines = where, file, lines
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise InputError(f"must be a mapping, got {type(data).__name__}", file=file, line=self.line(""),
                             field=where or None)
        self.data = data
        for key in data:
            if key not in allowed:
                raise InputError(f"unknown key '{key}'; expected one of {', '.join(allowed)}", file=file,
                                 line=self.line(key), field=self.name(key))

    def name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where and key else self.where or key

    def line(self, key: str) -> int | None:
        return self.lines.get(self.name(key)) or self.lines.get(self.where)

    def error(self, key: str, message: str) -> InputError:
        return InputError(message, file=self.file, line=self.line(key), field=self.name(key))

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, *, required: bool = False) -> Any:
        if key not in self.data or self.data[key] is None:
            if required:
                raise self.error(key, "is required")
            return default
        value = self.data[key]
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.error(key, f"must be {_kind_name(kind)}, got a boolean")
        if not isinstance(value, kind):
            raise self.error(key, f"must be {_kind_name(kind)}, got {type(value).__name__}")
        return value

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = float(self.get(key, (int, float), default))
        if not low <= value <= high:
            raise self.error(key, f"must be between {low} and {high}, got {value}")
        return value

    def count(self, key: str, default: int | None, low: int = 1) -> int | None:
        value = self.get(key, int, default)
        if value is not None and value < low:
            raise self.error(key, f"must be at least {low}, got {value}")
        return value

    def paths(self, key: str, base: Path) -> tuple[Path, ...]:
        value = self.get(key, (list, str), [])
        items = [value] if isinstance(value, str) else value
        if not all(isinstance(v, str) and v for v in items):
            raise self.error(key, "must be a list of file paths")
        return tuple(base / v for v in items)

    def slots(self, key: str) -> dict[str, tuple[str, ...]]:
        raw = self.get(key, dict, {})
        out = {}
        for name, values in raw.items():
            if not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise self.error(key, f"slot name '{name}' must be a word")
            if not isinstance(values, list) or not values or not all(
                    isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values):
                raise self.error(f"{key}.{name}" if key else name, "slot values must be a non-empty list of "
                                 "strings or numbers")
            out[name] = tuple(str(v) for v in values)
        return out

    def strings(self, key: str) -> dict[str, str]:
        raw = self.get(key, dict, {})
        if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in raw.values()):
            raise self.error(key, "values must be strings")
        return {str(k): str(v) for k, v in raw.items()}


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "an integer", float: "a number", dict: "a mapping", list: "a list", bool: "true/false"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _check_slots(sec: _Section, key: str, templates: list[str | None], slots: Mapping[str, Any],
                 seeded: bool) -> None:
    for text in templates:
        for name in SLOT.findall(text or ""):
            if name in SEED_FIELDS:
                if not seeded:
                    raise sec.error(key, f"{{{{ {name} }}}} needs seed cases: list suites under generate.seeds")
            elif name not in slots:
                raise sec.error(key, f"unknown slot {{{{ {name} }}}}; define it under slots")


def _template(item: Any, where: str, file: str, lines: Mapping[str, int], seeded: bool) -> TemplateSpec:
    sec = _Section(item, where, file, lines, ("prompt", "response", "slots", "tags", "count"))
    t = TemplateSpec(prompt=sec.get("prompt", str, required=True), response=sec.get("response", str),
                     slots=sec.slots("slots"), tags=sec.strings("tags"), count=sec.count("count", None),
                     line=sec.line("") or 0)
    _check_slots(sec, "prompt", [t.prompt, t.response, *t.tags.values()], t.slots, seeded)
    return t


def _teacher(data: Any, file: str, lines: Mapping[str, int], seeded: bool) -> TeacherSpec:
    sec = _Section(data, "generate.teacher", file, lines, ("target", "prompt", "input", "output", "slots", "tags",
                                                            "n", "count", "temperature", "max_tokens"))
    output = sec.get("output", str, "response")
    if output not in TEACHER_OUTPUTS:
        raise sec.error("output", f"must be one of {', '.join(TEACHER_OUTPUTS)}, got {output!r}")
    t = TeacherSpec(target=sec.get("target", str, required=True), prompt=sec.get("prompt", str, required=True),
                    input=sec.get("input", str), output=output, slots=sec.slots("slots"), tags=sec.strings("tags"),
                    n=sec.count("n", 1) or 1, count=sec.count("count", None),
                    temperature=sec.number("temperature", 0.8, 0.0, 2.0),
                    max_tokens=sec.count("max_tokens", 256) or 256, line=sec.line("") or 0)
    _check_slots(sec, "prompt", [t.prompt, t.input, *t.tags.values()], t.slots, seeded)
    return t


def _filter(data: Any, file: str, lines: Mapping[str, int]) -> FilterSpec:
    sec = _Section(data, "filter", file, lines, ("graders", "length", "schema", "privacy"))
    graders = []
    for i, entry in enumerate(sec.get("graders", list, [])):
        where = f"filter.graders[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            raise InputError("each grader is a mapping with a `type`", file=file, line=lines.get(where), field=where)
        graders.append(GraderSpec(type=entry["type"], params={k: v for k, v in entry.items() if k != "type"},
                                  file=file, line=lines.get(where)))
    length = _Section(sec.get("length", dict, {}), "filter.length", file, lines, ("min", "max", "field"))
    length_field = length.get("field", str, "response")
    if length_field not in LENGTH_FIELDS:
        raise length.error("field", f"must be one of {', '.join(LENGTH_FIELDS)}")
    schema = sec.get("schema", dict)
    if schema is not None:
        import jsonschema

        try:
            jsonschema.validators.validator_for(schema).check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise sec.error("schema", f"not a valid JSON schema: {exc.message}") from None
    return FilterSpec(graders=tuple(graders), min_chars=length.count("min", None, 0),
                      max_chars=length.count("max", None, 1), length_field=length_field, schema=schema,
                      privacy=sec.get("privacy", bool, True))


def load_spec(path: str | Path) -> SynthSpec:
    """Read and validate a SPEC.yaml; every problem is an InputError naming file, line and field."""
    p = Path(path)
    file = str(p)
    text = read_text(p)
    node = compose(text, file)
    if node is None:
        raise InputError("the spec is empty", file=file)
    lines: dict[str, int] = {}
    collect_lines(node, "", lines, depth=6)
    data = to_python(node, file)
    base = p.parent
    top = _Section(data, "", file, lines, ("name", "seed", "output", "synthetic_output", "registry", "generate",
                                           "filter", "dedupe", "mix"))
    name = top.get("name", str, required=True)
    if not re.fullmatch(r"[\w.-]+", name):
        raise top.error("name", "use letters, digits, '.', '_' or '-'")
    gen = _Section(top.get("generate", dict, required=True), "generate", file, lines, ("seeds", "templates",
                                                                                       "teacher"))
    seeds = gen.paths("seeds", base)
    templates = tuple(_template(item, f"generate.templates[{i}]", file, lines, bool(seeds))
                      for i, item in enumerate(gen.get("templates", list, [])))
    teacher = _teacher(gen.data["teacher"], file, lines, bool(seeds)) if gen.data.get("teacher") else None
    if not templates and teacher is None:
        raise gen.error("", "give templates, a teacher, or both")
    dd = _Section(top.get("dedupe", dict, {}), "dedupe", file, lines, ("jaccard", "containment", "against",
                                                                        "suites", "registered_suites"))
    mx = _Section(top.get("mix", dict, {}), "mix", file, lines, ("pool", "max_share", "slice_by"))
    slice_by = mx.get("slice_by", list, [])
    if not all(isinstance(s, str) for s in slice_by):
        raise mx.error("slice_by", "must be a list of tag names")
    pool = mx.get("pool", str)
    synthetic_output = top.get("synthetic_output", str)
    registry = top.get("registry", str)
    return SynthSpec(
        path=p, spec_hash=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], name=name,
        seed=top.get("seed", int, 0), output=base / top.get("output", str, required=True),
        synthetic_output=base / synthetic_output if synthetic_output else None,
        registry=base / registry if registry else None, seeds=seeds, templates=templates, teacher=teacher,
        filter=_filter(top.get("filter", dict, {}), file, lines),
        dedupe=DedupeSpec(jaccard=dd.number("jaccard", 0.7, 0.01, 1.0),
                          containment=dd.number("containment", 0.8, 0.01, 1.0), against=dd.paths("against", base),
                          suites=dd.paths("suites", base),
                          registered_suites=dd.get("registered_suites", bool, True)),
        mix=MixSpec(pool=base / pool if pool else None, max_share=mx.number("max_share", 0.2, 0.0, 1.0),
                    slice_by=tuple(slice_by)),
        lines=lines)
