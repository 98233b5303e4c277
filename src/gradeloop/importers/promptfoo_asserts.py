"""promptfoo assertions mapped to gradeloop grader specs, with promptfoo's own verdict rules.

Built-in graders where they agree exactly (case-sensitive keywords, exact match without strip,
JSON checks without code fences, regexes rewritten from JavaScript); generated `python` graders
(promptfoo_code) where promptfoo's arithmetic is its own (levenshtein, rouge-n, bleu,
contains-json, python). `not-` flips the verdict: a native negation where one exists, else a
`multi` grader computing `1 - a`. Anything without a faithful mapping raises `Unmappable`.

Known residual differences (checked by bench/promptfoo_import_check.py where testable): in a
regex, `.` and negated classes see an emoji as one character where JavaScript sees two UTF-16
units; JSON schemas are checked by `jsonschema` (promptfoo: ajv); contains-json parses strict
JSON (promptfoo: YAML flow syntax too); Python's `json` accepts NaN/Infinity in is-json.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

from gradeloop.importers import promptfoo_code as code
from gradeloop.importers.jsregex import Unsupported as RegexUnsupported
from gradeloop.importers.jsregex import js_regex_to_python
from gradeloop.importers.nunjucks import Unsupported as TemplateUnsupported
from gradeloop.importers.nunjucks import js_number, js_str, render_value

Spec = dict[str, Any]


class Unmappable(ValueError):
    """An assertion gradeloop cannot reproduce faithfully; the message says why."""


@dataclass(frozen=True, slots=True)
class MapContext:
    """What mapping an assertion may need besides the assertion itself."""

    vars: Mapping[str, Any]
    base_dir: Path
    judge: str | None
    warn: Callable[[str], None]


_UNMAPPABLE = {
    "similar": "needs an embedding model (promptfoo computes cosine similarity of embeddings)",
    "cost": "needs the provider's cost, which gradeloop does not record per sample",
    "latency": "latency thresholds are not grader checks in gradeloop",
    "perplexity": "needs token log-probabilities",
    "perplexity-score": "needs token log-probabilities",
    "moderation": "needs a moderation API",
    "webhook": "calls a web service",
    "classifier": "needs a Hugging Face classifier",
    "select-best": "compares outputs of several prompts, not one output",
    "max-score": "compares outputs of several prompts, not one output",
    "rouge-l": "promptfoo's ROUGE-L uses js-rouge's sentence segmenter, which is not reproduced",
    "rouge-s": "promptfoo's ROUGE-S uses js-rouge's skip-bigrams, which are not reproduced",
}


def parse_comma_values(value: str) -> list[str]:
    """promptfoo's parseCommaSeparatedValues: comma-separated; "quoted" fields may hold commas, "" and \\" quotes."""
    out, i, n = [], 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        if i >= n:
            break
        if value[i] == '"':
            j, buf, closed = i + 1, [], False
            while j < n:
                if value[j] == "\\" and j + 1 < n and value[j + 1] in '"\\':
                    buf.append(value[j + 1])
                    j += 2
                elif value[j] == '"' and j + 1 < n and value[j + 1] == '"':
                    buf.append('"')
                    j += 2
                elif value[j] == '"':
                    closed = True
                    break
                else:
                    buf.append(value[j])
                    j += 1
            if not closed:
                raise Unmappable("unterminated quoted field in the value list")
            out.append("".join(buf))
            i = j + 1
            while i < n and value[i].isspace():
                i += 1
            if i < n and value[i] != ",":
                raise Unmappable("expected a comma after a quoted field")
        else:
            j = i
            while j < n and value[j] != ",":
                j += 1
            out.append(value[i:j].strip())
            i = j
    return out


def negate(spec: Spec) -> Spec:
    """A grader that passes exactly when the 0/1 grader `spec` fails (promptfoo's `not-`)."""
    return {"type": "multi", "graders": {"a": spec}, "formula": "1 - a", "pass_threshold": 1}


def _ignorecase(values: list[str], mode: str, inverse: bool) -> Spec:
    """promptfoo's `output.toLowerCase().includes(v.toLowerCase())` as a case-insensitive regex.

    Not the keyword graders: they casefold, which makes "STRASSE" match "Straße"; JavaScript's
    toLowerCase (like Python's IGNORECASE) does not.
    """
    escaped = [re.escape(v) for v in values]
    if mode == "all":  # every value somewhere: look-aheads anchored at the start (one pass each)
        pattern = r"\A" + "".join(f"(?=[\\s\\S]*?{e})" for e in escaped)
    else:
        pattern = "|".join(escaped)
    return {"type": "regex", "pattern": pattern, "flags": ["ignorecase"], "negate": inverse}


def _text(value: Any, kind: str) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise Unmappable(f"`{kind}` needs a string value, got {type(value).__name__}")
    return js_str(value) if not isinstance(value, str) else value


def _list(value: Any, kind: str) -> list[str]:
    if isinstance(value, str):
        items = parse_comma_values(value)
    elif isinstance(value, list):
        items = [js_str(v) if not isinstance(v, str) else v for v in value]
    else:
        raise Unmappable(f"`{kind}` needs a list or a comma-separated string")
    if not items:
        raise Unmappable(f"`{kind}` has no values")
    if any(v == "" for v in items):
        raise Unmappable(f"`{kind}` has an empty value (every output contains it)")
    return items


def _schema(value: Any, kind: str, ctx: MapContext) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        if value.startswith("file://"):
            path = ctx.base_dir / value[7:]
            try:
                return yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as exc:
                raise Unmappable(f"cannot read the schema file {str(path)!r}: {exc}") from None
        try:
            loaded = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise Unmappable(f"`{kind}` value is not a YAML/JSON schema: {exc}") from None
        if isinstance(loaded, dict):
            return loaded
    raise Unmappable(f"`{kind}` value must be a JSON schema")


def _python_spec(source: str) -> Spec:
    return {"type": "python", "source": source}


def _threshold(assertion: Mapping[str, Any], default: float | None) -> float | None:
    t = assertion.get("threshold", default)
    if t is None:
        return None
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        raise Unmappable(f"threshold must be a number, got {t!r}")
    return float(t)


def map_assertion(assertion: Mapping[str, Any], ctx: MapContext) -> Spec:
    """One promptfoo assertion (not assert-set) as a gradeloop grader spec without weight."""
    kind = assertion.get("type")
    if not isinstance(kind, str) or not kind:
        raise Unmappable("assertion has no `type`")
    for key in ("transform", "contextTransform"):
        if assertion.get(key) is not None:
            raise Unmappable(f"`{key}` runs JavaScript on the output before checking it")
    inverse = kind.startswith("not-")
    base = kind[4:] if inverse else kind
    raw = assertion.get("value")
    if base in ("python", "javascript"):
        value = raw
    else:
        try:
            value = render_value(raw, ctx.vars)
        except TemplateUnsupported as exc:
            raise Unmappable(f"value template: {exc}") from None
        if isinstance(value, str) and value.startswith("file://") and base not in ("is-json", "contains-json"):
            raise Unmappable("values loaded from files (file://) are only mapped for is-json / contains-json "
                             "schemas and python assertions")
    if base in _UNMAPPABLE:
        raise Unmappable(f"`{kind}` {_UNMAPPABLE[base]}")

    if base in ("contains", "icontains"):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or value == "":
            raise Unmappable(f"`{kind}` needs a non-empty string or number value")
        text = value if isinstance(value, str) else js_number(value)
        if base == "icontains":
            return _ignorecase([text], "any", inverse)
        return {"type": "not_contains" if inverse else "contains", "value": text, "case_sensitive": True}
    if base in ("contains-any", "icontains-any"):
        values = _list(value, kind)
        if base == "icontains-any":
            return _ignorecase(values, "any", inverse)
        return {"type": "not_contains" if inverse else "contains_any", "values": values, "case_sensitive": True}
    if base in ("contains-all", "icontains-all"):
        values = _list(value, kind)
        if base == "icontains-all":
            return _ignorecase(values, "all", inverse)
        spec = {"type": "contains", "values": values, "case_sensitive": True}
        return negate(spec) if inverse else spec
    if base == "equals":
        if isinstance(value, (dict, list)):
            spec = {"type": "json_schema", "schema": {"const": value}, "allow_fence": False}
        else:
            if value is None:
                raise Unmappable("`equals` needs a value")
            spec = {"type": "exact", "value": _text(value, kind), "strip": False, "case_sensitive": True}
        return negate(spec) if inverse else spec
    if base == "starts-with":
        if not isinstance(value, str) or not value:
            raise Unmappable("`starts-with` needs a non-empty string value")
        return {"type": "regex", "pattern": r"\A" + re.escape(value), "negate": inverse}
    if base == "regex":
        if not isinstance(value, str) or not value:
            raise Unmappable("`regex` needs a non-empty string value")
        try:
            pattern = js_regex_to_python(value)
        except RegexUnsupported as exc:
            raise Unmappable(f"JavaScript regex {value!r}: {exc}") from None
        return {"type": "regex", "pattern": pattern, "flags": ["ascii"], "negate": inverse}
    if base == "is-json":
        schema = _schema(value, kind, ctx)
        spec = ({"type": "json_valid", "allow_fence": False} if schema is None
                else {"type": "json_schema", "schema": schema, "allow_fence": False})
        if schema is not None:
            ctx.warn("is-json schema checked with the jsonschema library (promptfoo uses ajv); "
                     "formats and unknown keywords may be treated differently")
        return negate(spec) if inverse else spec
    if base == "contains-json":
        schema = _schema(value, kind, ctx)
        ctx.warn("contains-json: JSON spans are parsed as strict JSON (promptfoo's YAML parser also accepts "
                 "unquoted keys and // comments)")
        return _python_spec(code.contains_json_source(schema, inverse))
    if base == "levenshtein":
        t = _threshold(assertion, 5.0)
        return _python_spec(code.levenshtein_source(_text(value, kind), t if t is not None else 5.0, inverse))
    if base == "rouge-n":
        t = _threshold(assertion, 0.75)
        return _python_spec(code.rouge_source(_text(value, kind), t if t is not None else 0.75, inverse))
    if base == "bleu":
        refs = value if isinstance(value, list) else [_text(value, kind)]
        if not refs or not all(isinstance(r, str) for r in refs):
            raise Unmappable("`bleu` needs a string or a list of strings")
        t = _threshold(assertion, 0.5)
        return _python_spec(code.bleu_source(list(refs), t if t is not None else 0.5, inverse))
    if base == "python":
        if not isinstance(value, str) or not value.strip():
            raise Unmappable("`python` needs code or a file:// reference")
        t = _threshold(assertion, None)
        config = assertion.get("config")
        if value.startswith("file://"):
            ref = value[7:]
            path_text, _, function = ref.partition(":")
            path = ctx.base_dir / path_text
            if path.suffix != ".py":
                raise Unmappable(f"python assertion file {path_text!r} is not a .py file")
            try:
                source = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise Unmappable(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
            ctx.warn(f"python assertion file {path_text} is embedded in the suite; modules it imports from its "
                     "own folder are not")
            return _python_spec(code.python_file_source(source, function or "get_assert", t, inverse, config))
        try:
            rendered = render_value(value, ctx.vars)
        except TemplateUnsupported as exc:
            raise Unmappable(f"value template: {exc}") from None
        return _python_spec(code.python_inline_source(rendered, t, inverse, config))
    if base == "javascript":
        from gradeloop.importers.jsexpr import Unsupported as JsUnsupported, javascript_source

        if not isinstance(value, str) or value.startswith("file://"):
            raise Unmappable("javascript files and functions cannot run in gradeloop (no JavaScript engine)")
        try:
            rendered = render_value(value, ctx.vars)
            return _python_spec(javascript_source(rendered, _threshold(assertion, None), inverse))
        except (JsUnsupported, TemplateUnsupported) as exc:
            raise Unmappable(f"javascript {value.strip()[:60]!r} cannot be translated to Python: {exc}") from None
    if base in ("llm-rubric", "model-graded-closedqa", "g-eval"):
        if base != "llm-rubric":
            raise Unmappable(f"`{kind}` uses promptfoo's own judge prompt; rewrite it as llm-rubric")
        if not isinstance(value, str) or not value.strip():
            raise Unmappable("`llm-rubric` needs a rubric string")
        # the assertion's own OpenAI provider wins, as in promptfoo; --judge stands for the default grader
        model = judge_from_provider(assertion.get("provider")) or ctx.judge
        if model is None:
            raise Unmappable("llm-rubric needs a judge model: pass --judge SPEC (promptfoo's default grader "
                             "is an OpenAI model; gradeloop asks for one explicitly)")
        ctx.warn("llm-rubric becomes an llm_judge: gradeloop's judge prompt differs from promptfoo's, so "
                 "verdicts can differ where the judge is unsure")
        spec = {"type": "llm_judge", "rubric": value, "model": model, "include_input": False,
                "include_reference": False}
        t = _threshold(assertion, None)
        if t is not None:
            spec["pass_threshold"] = min(1.0, max(0.0, t))
        return negate(spec) if inverse else spec
    raise Unmappable(f"assertion type `{kind}` has no gradeloop equivalent")


def judge_from_provider(provider: Any) -> str | None:
    """promptfoo's `openai:chat:gpt-4o-mini` / `openai:gpt-4o-mini` as gradeloop's `openai:gpt-4o-mini`."""
    if isinstance(provider, dict):
        provider = provider.get("id")
    if not isinstance(provider, str):
        return None
    parts = provider.split(":")
    if parts[0] == "openai" and len(parts) >= 2:
        return f"openai:{parts[-1]}"
    return None
