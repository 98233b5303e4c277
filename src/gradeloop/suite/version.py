"""A suite's version: the hash of its normalised content.

Content only (name, split, defaults, thresholds, cases), never the path, the file format,
YAML formatting or comments: editing a case makes a new version, reformatting does not.
"""
from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gradeloop.suite.model import Case, GraderSpec, Suite


def grader_dict(spec: "GraderSpec") -> dict[str, Any]:
    """A grader entry as written in a suite file: `type` then its parameters."""
    return {"type": spec.type, **spec.params}


def case_dict(case: "Case") -> dict[str, Any]:
    """A case's content as plain JSON-able values (no file or line); tools only when declared."""
    content = {
        "id": case.id,
        "input": case.input if isinstance(case.input, str) else [dict(m) for m in case.input],
        "reference": case.reference,
        "tags": dict(case.tags),
        "expect": case.expect,
        "graders": [grader_dict(g) for g in case.graders],
        "parent": case.parent,
        "metadata": dict(case.metadata),
    }
    if case.tools:  # absent otherwise, so suites without tools keep their versions
        content["tools"] = [dict(t) for t in case.tools]
    if case.tool_choice is not None:
        content["tool_choice"] = case.tool_choice
    return content


def suite_content(suite: "Suite") -> dict[str, Any]:
    """Everything that defines what a suite measures, as plain values."""
    content = {
        "name": suite.name,
        "split": suite.split,
        "defaults": {"graders": [grader_dict(g) for g in suite.default_graders]},
        "thresholds": suite.thresholds.as_dict(),
        "cases": [case_dict(c) for c in suite.cases],
    }
    if suite.agent is not None:  # absent otherwise, so suites without an agent keep their versions
        content["agent"] = {"tools": suite.agent.tools, "steps": suite.agent.steps, "timeout": suite.agent.timeout}
    return content


def suite_version(suite: "Suite") -> str:
    """sha256 (first 16 hex digits) of the canonical JSON of the suite's content."""
    canonical = json.dumps(suite_content(suite), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
