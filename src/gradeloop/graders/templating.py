"""`{{ field }}` templates in grader parameters, filled from the case at build time.

`{{ reference }}`, `{{ tags.locale }}`, `{{ metadata.x }}` and OpenAI's `{{ item.x }}` name
case fields and are filled when the grader is built (`{{ item.reference_answer }}`, the name
OpenAI's guide uses, is the case's `reference` unless the metadata has its own). `{{ sample.* }}`
names the generation and is left for the grader to fill at grade time: `output_text`,
`output_json` (the output parsed as JSON) and `output_tools` (the tool calls in OpenAI's wire
form), with JSON-path steps such as `{{ sample.output_tools[0].function.name }}`.
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Callable, Mapping, NoReturn

if TYPE_CHECKING:
    from gradeloop.suite.model import Case

_PATH = r"[A-Za-z_][\w.\-]*(?:\[\d+\][\w.\-]*)*"
TEMPLATE = re.compile(r"\{\{\s*(" + _PATH + r")\s*\}\}")
_WHOLE = re.compile(r"\s*\{\{\s*(" + _PATH + r")\s*\}\}\s*")
_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")
SAMPLE_FIELDS = ("sample.output_text", "sample.output_json", "sample.output_tools")


def sample_field_ok(path: str) -> bool:
    """Whether a `sample.*` path names something gradeloop fills (text, JSON, tool calls)."""
    return any(path == f or path.startswith(f + ".") or path.startswith(f + "[") for f in SAMPLE_FIELDS)


_MISSING = object()


def resolve(value: Any, steps: str) -> Any:
    """Walk `.key` and `[i]` steps into nested dicts and lists; `_MISSING` where a step has nothing."""
    for m in _STEP.finditer(steps):
        key, index = m.group(1), m.group(2)
        if index is not None:
            if not isinstance(value, (list, tuple)) or int(index) >= len(value):
                return _MISSING
            value = value[int(index)]
        elif isinstance(value, Mapping) and key in value:
            value = value[key]
        else:
            return _MISSING
    return value


def _is_sample(path: str) -> bool:
    return path == "sample" or path.startswith("sample.")


def needs_case(value: Any) -> bool:
    """True when `value` holds a template that must be filled from a case (not `sample.*`)."""
    if isinstance(value, str):
        if "{{" not in value:
            return False
        paths = TEMPLATE.findall(value)
        # A "{{" that is not a well-formed template is reported by render(), so it needs a case too.
        return len(paths) != value.count("{{") or not all(_is_sample(p) for p in paths)
    if isinstance(value, Mapping):
        return any(needs_case(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(needs_case(v) for v in value)
    return False


def case_value(case: "Case", path: str) -> Any:
    """The value of a dotted case field; `item.` is OpenAI's name for the case; None if unset."""
    item = path.startswith("item.")
    if item:
        path = path[5:]
    if "[" in path:  # JSON-path steps into a field (`metadata.options[0]`, OpenAI's `item.choices[1]`)
        head = re.match(r"[^.\[]+", path).group(0)  # type: ignore[union-attr]
        root = case.field_value(head) if head in _CASE_ROOTS else None
        found = resolve(root, path[len(head):]) if root is not None else _MISSING
        if found is _MISSING:
            found = resolve(case.metadata, "." + path)
        return None if found is _MISSING else found
    if path == "input":
        return case.prompt_text
    if item and path == "reference_answer" and "reference_answer" not in case.metadata:
        return case.reference  # the OpenAI guide's name for the reference answer
    value = case.field_value(path)
    if value is None and path.partition(".")[0] not in ("id", "input", "reference", "tags", "expect",
                                                       "parent", "metadata"):
        value = case.field_value(f"metadata.{path}")  # OpenAI items are flat: item.x is metadata x
    return value


_CASE_ROOTS = ("id", "input", "reference", "tags", "expect", "parent", "metadata", "tools", "tool_choice")


def as_text(value: Any) -> str:
    """A field value as template text: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def render(value: Any, case: "Case", missing: Callable[[str, str], NoReturn]) -> Any:
    """Fill case templates in every string of `value`; `missing(path, text)` raises for unset fields.

    A string that is exactly one template keeps the field's own type (a list stays a list).
    """
    if isinstance(value, str):
        if "{{" not in value:
            return value
        if value.count("{{") != len(TEMPLATE.findall(value)):
            missing("", value)  # a "{{" that is not a well-formed {{ field }}
        whole = _WHOLE.fullmatch(value)
        if whole and not _is_sample(whole.group(1)):
            found = case_value(case, whole.group(1))
            if found is None:
                missing(whole.group(1), value)
            return found

        def fill(m: re.Match[str]) -> str:
            if _is_sample(m.group(1)):
                return m.group(0)
            found = case_value(case, m.group(1))
            if found is None:
                missing(m.group(1), value)
            return as_text(found)

        return TEMPLATE.sub(fill, value)
    if isinstance(value, Mapping):
        return {k: render(v, case, missing) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [render(v, case, missing) for v in value]
    return value


def sample_paths(value: Any) -> list[str]:
    """Every `sample.*` template path in `value`, to check at build time."""
    if isinstance(value, str):
        return [p for p in TEMPLATE.findall(value) if _is_sample(p)]
    if isinstance(value, Mapping):
        return [p for v in value.values() for p in sample_paths(v)]
    if isinstance(value, (list, tuple)):
        return [p for v in value for p in sample_paths(v)]
    return []


def sample_namespace(output: str, used: str = "") -> dict[str, Any]:
    """OpenAI's `sample` for one generation: output_text, and output_json / output_tools when `used` names them.

    output_json is the output parsed as JSON (a ```json fence accepted), absent when it is not JSON;
    output_tools are the generation's tool calls (those a `Reply` carries, else those its text
    writes) in OpenAI's wire form: {"id", "type": "function", "function": {"name", "arguments": "<JSON>"}}.
    """
    sample: dict[str, Any] = {"output_text": str(output)}
    if "output_json" in used:
        from gradeloop.graders.structure import parse_json_output

        value, err = parse_json_output(str(output))
        if err is None:
            sample["output_json"] = value
    if "output_tools" in used:
        from gradeloop.graders.tools import calls_of

        try:
            calls = calls_of(output)
        except Exception:  # unreadable calls are simply no calls for a template
            calls = ()
        sample["output_tools"] = [c.wire(i) for i, c in enumerate(calls)]
    return sample


def sample_value(sample: Mapping[str, Any], path: str) -> Any:
    """The value of a `sample.*` path in a sample namespace; `_MISSING` if the sample lacks it."""
    return resolve(sample, path[len("sample"):])


def fill_sample(text: str, output: str, wrap: Callable[[str], str] | None = None) -> str:
    """Fill `{{ sample.* }}` templates from the generation at grade time.

    A field the generation lacks (no JSON, no tool call at that index) fills as "": a model that
    did not produce it fails the check, as OpenAI's graders score it. `wrap` post-processes each
    filled value (score_model fences untrusted text with it).
    """
    if "{{" not in text:
        return text
    sample = sample_namespace(output, text)

    def fill(m: re.Match[str]) -> str:
        path = m.group(1)
        if not _is_sample(path):
            return m.group(0)
        found = sample_value(sample, path)
        value = "" if found is _MISSING or found is None else as_text(found)
        return wrap(value) if wrap is not None else value

    return TEMPLATE.sub(fill, text)
