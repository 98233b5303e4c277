"""`{{ field }}` templates in grader parameters, filled from the case at build time.

`{{ reference }}`, `{{ tags.locale }}`, `{{ metadata.x }}` and OpenAI's `{{ item.x }}` name
case fields and are filled when the grader is built; `{{ sample.output_text }}` names the
output and is left for the grader to fill at grade time.
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Callable, Mapping, NoReturn

if TYPE_CHECKING:
    from gradeloop.suite.model import Case

TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][\w.\-]*)\s*\}\}")
_WHOLE = re.compile(r"\s*\{\{\s*([A-Za-z_][\w.\-]*)\s*\}\}\s*")
SAMPLE_FIELDS = ("sample.output_text",)


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
    if path.startswith("item."):
        path = path[5:]
    if path == "input":
        return case.prompt_text
    value = case.field_value(path)
    if value is None and path.partition(".")[0] not in ("id", "input", "reference", "tags", "expect",
                                                       "parent", "metadata"):
        value = case.field_value(f"metadata.{path}")  # OpenAI items are flat: item.x is metadata x
    return value


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


def fill_sample(text: str, output: str) -> str:
    """Fill `{{ sample.output_text }}` with the output at grade time."""
    if "{{" not in text:
        return text
    return TEMPLATE.sub(lambda m: output if m.group(1) == "sample.output_text" else m.group(0), text)
