"""Write a suite back to YAML or JSONL (by extension), atomically.

Used by mutation and synthetic-data work; what is written loads back with the same version.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from gradeloop.errors import InputError
from gradeloop.files import atomic_write_text
from gradeloop.suite.model import Case, Suite, Thresholds
from gradeloop.suite.version import case_dict, grader_dict


class _Dumper(yaml.CSafeDumper):
    """Safe C dumper that writes multi-line strings as `|` blocks, as a person would."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None  # the emitter falls back to quotes when a block can't hold it
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def _thresholds(t: Thresholds) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if t.min_pass_rate is not None:
        out["min_pass_rate"] = t.min_pass_rate
    if t.on != "mean":
        out["on"] = t.on
    if t.max_error_rate:
        out["max_error_rate"] = t.max_error_rate
    return out


def suite_header(suite: Suite) -> dict[str, Any]:
    """The suite's own fields (no cases) as written in a file, unset ones left out."""
    out: dict[str, Any] = {"name": suite.name}
    if suite.description:
        out["description"] = suite.description
    out["split"] = suite.split
    if thresholds := _thresholds(suite.thresholds):
        out["thresholds"] = thresholds
    if suite.default_graders:
        out["defaults"] = {"graders": [grader_dict(g) for g in suite.default_graders]}
    if suite.agent is not None:  # the tools module by its resolved path: the new file may live elsewhere
        out["agent"] = {"tools": suite.agent.path or suite.agent.tools, "steps": suite.agent.steps,
                        "timeout": suite.agent.timeout}
    return out


def case_document(case: Case) -> dict[str, Any]:
    """A case as written in a file: id and input first, unset fields left out."""
    return {k: v for k, v in case_dict(case).items() if v not in (None, {}, [])}


def dump_suite(suite: Suite, path: str | Path) -> None:
    """Write `suite` to `path`: YAML for .yaml/.yml, JSONL (header line + one case per line) for .jsonl."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext in (".yaml", ".yml"):
        document = {**suite_header(suite), "cases": [case_document(c) for c in suite.cases]}
        text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    elif ext == ".jsonl":
        lines = [json.dumps({"suite": suite_header(suite)}, ensure_ascii=False)]
        lines += [json.dumps(case_document(c), ensure_ascii=False) for c in suite.cases]
        text = "\n".join(lines) + "\n"
    else:
        raise InputError(f"cannot write suites as {ext or '(no extension)'!r}; use .yaml, .yml or .jsonl",
                         file=str(p))
    atomic_write_text(p, text)
