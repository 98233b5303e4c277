"""Tool declarations: OpenAI function-tool schemas, checked once when a suite loads.

A tool is `{type: function, function: {name, description?, parameters?}}`; the bare
`{name, description?, parameters?}` form is accepted and normalised to it. `tool_choice` is
`auto`, `none`, `required`, a declared tool's name, or OpenAI's `{type: function, function: {name}}`.
Problems raise `SchemaProblem(path, message)` so the suite loader can name file, line and field.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
CHOICES = ("auto", "none", "required")


class SchemaProblem(ValueError):
    """A bad tool declaration: `path` is relative to the `tools`/`tool_choice` field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def normalize_tool(value: Any, where: str) -> dict[str, Any]:
    """One tool in OpenAI's form, its name and parameter schema checked (the schema itself by jsonschema)."""
    if not isinstance(value, Mapping):
        raise SchemaProblem(where, f"a tool must be a mapping like {{type: function, function: {{name, parameters}}}}, "
                                   f"got {type(value).__name__}")
    if "function" in value:
        if value.get("type", "function") != "function":
            raise SchemaProblem(f"{where}.type", f"only function tools are supported, got {value.get('type')!r}")
        extra = set(value) - {"type", "function"}
        fn, fn_where = value["function"], f"{where}.function"
        if not isinstance(fn, Mapping):
            raise SchemaProblem(fn_where, "must be a mapping with name and parameters")
    else:
        extra, fn, fn_where = set(), value, where
    extra |= set(fn) - {"name", "description", "parameters", "strict"}
    if extra:
        raise SchemaProblem(where, f"unknown tool key(s) {', '.join(sorted(map(str, extra)))}; "
                                   "expected type, function {name, description, parameters, strict}")
    name = fn.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise SchemaProblem(f"{fn_where}.name", f"tool name must be 1-64 letters, digits, _ . or -, got {name!r}")
    description = fn.get("description")
    if description is not None and not isinstance(description, str):
        raise SchemaProblem(f"{fn_where}.description", "must be a string")
    params = fn.get("parameters", {"type": "object", "properties": {}})
    if not isinstance(params, Mapping):
        raise SchemaProblem(f"{fn_where}.parameters", "must be a JSON schema mapping")
    if params.get("type", "object") != "object":
        raise SchemaProblem(f"{fn_where}.parameters.type", f"tool parameters must be an object schema, "
                                                           f"got type {params.get('type')!r}")
    _check_json_schema(params, f"{fn_where}.parameters")
    out: dict[str, Any] = {"name": name}
    if description is not None:
        out["description"] = description
    out["parameters"] = dict(params)
    if "strict" in fn:
        out["strict"] = bool(fn["strict"])
    return {"type": "function", "function": out}


def _check_json_schema(schema: Mapping[str, Any], where: str) -> None:
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator).check_schema(schema)
    except jsonschema.SchemaError as exc:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.path)
        raise SchemaProblem(where + path, f"not a valid JSON schema: {exc.message}") from None


def normalize_tools(value: Any, where: str = "tools") -> tuple[dict[str, Any], ...]:
    if not isinstance(value, (list, tuple)):
        raise SchemaProblem(where, f"tools must be a list of function tools, got {type(value).__name__}")
    tools = tuple(normalize_tool(t, f"{where}[{i}]") for i, t in enumerate(value))
    seen: dict[str, int] = {}
    for i, t in enumerate(tools):
        name = t["function"]["name"]
        if name in seen:
            raise SchemaProblem(f"{where}[{i}].function.name", f"duplicate tool name {name!r} (also tools[{seen[name]}])")
        seen[name] = i
    return tools


def normalize_choice(value: Any, tools: Sequence[Mapping[str, Any]], where: str = "tool_choice") -> Any:
    """`auto|none|required`, or `{type: function, function: {name}}` naming a declared tool."""
    names = tool_names(tools)
    if isinstance(value, str) and value in CHOICES:
        return value
    name = value if isinstance(value, str) else None
    if isinstance(value, Mapping):
        fn = value.get("function")
        name = fn.get("name") if isinstance(fn, Mapping) else value.get("name")
    if not isinstance(name, str):
        raise SchemaProblem(where, f"tool_choice must be one of {', '.join(CHOICES)}, a tool name or "
                                   f"{{type: function, function: {{name}}}}, got {value!r}")
    if name not in names:
        raise SchemaProblem(where, f"tool_choice names {name!r}, which is not a declared tool "
                                   f"(declared: {', '.join(names) or 'none'})")
    return {"type": "function", "function": {"name": name}}


def tool_names(tools: Sequence[Mapping[str, Any]]) -> list[str]:
    return [t["function"]["name"] for t in tools]


def tool_index(tools: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Declared function name → its `function` block (name, description, parameters)."""
    return {t["function"]["name"]: t["function"] for t in tools}
