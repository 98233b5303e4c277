"""promptfoo vars and prompt rendering: what a test's vars become, and the prompt they fill.

Separate from the config walk (promptfoo.py) because this is promptfoo's own rendering, reproduced
rule for rule so an imported case's input is exactly what promptfoo's `echo` provider would return:
`file://` vars read as promptfoo reads them (scripts and binary files refused as `Unmappable`),
lists of strings expanded into one combination each, vars that name other vars filled in, and a
JSON prompt rendered inside its strings then re-written with two-space indents (a chat when it is a
list of {role, content} messages). Template features nunjucks cannot render raise its `Unsupported`.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, Mapping

import yaml

from gradeloop.importers.nunjucks import has_template, render
from gradeloop.importers.promptfoo_asserts import Unmappable


def load_var(value: Any, base: Path) -> Any:
    """A `file://` var as promptfoo renders it: text trimmed, YAML as compact JSON; scripts refused."""
    if not (isinstance(value, str) and value.startswith("file://")):
        return value
    path = base / value[7:]
    if path.suffix in (".py", ".js", ".ts", ".mjs", ".cjs"):
        raise Unmappable(f"var {value!r} runs a script")
    if path.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".mp3", ".wav", ".mp4"):
        raise Unmappable(f"var {value!r} is a binary file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Unmappable(f"cannot read var file {str(path)!r}: {exc}") from None
    if path.suffix in (".yaml", ".yml"):
        return json.dumps(yaml.safe_load(text), separators=(",", ":"))
    return text.strip()


def combinations(variables: Mapping[str, Any]) -> list[dict[str, Any]]:
    """promptfoo's generateVarCombinations: a list of strings expands, any other value stays."""
    keys = list(variables)
    choices = []
    for k in keys:
        v = variables[k]
        if isinstance(v, list) and v and isinstance(v[0], str):
            choices.append(v)
        else:
            choices.append([v])
    return [dict(zip(keys, combo)) for combo in itertools.product(*choices)]


def resolve_vars(variables: dict[str, Any]) -> dict[str, Any]:
    """Strip one trailing newline from string vars and fill vars that name other vars, as promptfoo does."""
    out = {k: (v[:-1] if isinstance(v, str) and v.endswith("\n") else v) for k, v in variables.items()}
    for _ in range(5):
        changed = False
        for k, v in out.items():
            if isinstance(v, str) and has_template(v):
                new = render(v, {kk: vv for kk, vv in out.items() if kk != k})
                changed |= new != v
                out[k] = new
        if not changed:
            break
    return out


def _chat_input(text: str) -> str | tuple[dict[str, Any], ...]:
    """A rendered prompt that is a JSON list of {role, content} messages is a chat; else plain text."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            value = json.loads(stripped)
        except ValueError:
            return text
        if (isinstance(value, list) and value and all(isinstance(m, dict) and isinstance(m.get("role"), str)
                                                      and isinstance(m.get("content"), str) for m in value)):
            return tuple({"role": m["role"], "content": m["content"]} for m in value)
    return text


def _render_strings(value: Any, variables: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        return render(value, variables)
    if isinstance(value, list):
        return [_render_strings(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _render_strings(v, variables) for k, v in value.items()}
    return value


def render_prompt(raw: str, variables: Mapping[str, Any]) -> str | tuple[dict[str, Any], ...]:
    """A prompt as promptfoo renders it: a JSON prompt has the vars filled inside its strings and is
    re-written with two-space indents (a chat when it is a list of messages); any other prompt is text."""
    try:
        parsed = json.loads(raw)
    except ValueError:
        return _chat_input(render(raw, variables))
    rendered = _render_strings(parsed, variables)
    if (isinstance(rendered, list) and rendered and all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
            for m in rendered)):
        return tuple({"role": m["role"], "content": m["content"]} for m in rendered)
    return json.dumps(rendered, indent=2, ensure_ascii=False)
