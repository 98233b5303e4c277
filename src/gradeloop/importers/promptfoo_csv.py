"""promptfoo CSV test files: each row a test, its `__expected*` cells assertions written as strings.

Separate from the config walk (promptfoo.py) because a CSV row has a grammar of its own, promptfoo's
testCaseFromCsvRow and assertionFromString: plain columns are vars, `__expected` cells such as
`contains-any:a,b` or `similar(0.9):text` are parsed against promptfoo's list of assertion types
(with its default thresholds), and the other `__` columns are test fields. The tests come back as
the mappings a YAML test file would hold, so the rest of the import treats both alike.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gradeloop.importers.result import Issues
from gradeloop.importers.source import read_csv_records

# promptfoo 0.121's BaseAssertionTypesSchema: the names a CSV `__expected` cell may start with.
ASSERTION_TYPES = (
    "agent-rubric", "answer-relevance", "bleu", "classifier", "contains", "contains-all", "contains-any",
    "contains-html", "contains-json", "contains-sql", "contains-xml", "context-faithfulness", "context-recall",
    "context-relevance", "conversation-relevance", "cost", "equals", "factuality", "finish-reason", "g-eval", "gleu",
    "guardrails", "icontains", "icontains-all", "icontains-any", "is-html", "is-json", "is-refusal", "is-sql",
    "is-valid-function-call", "is-valid-openai-function-call", "is-valid-openai-tools-call", "is-xml", "javascript",
    "latency", "levenshtein", "llm-rubric", "pi", "meteor", "model-graded-closedqa", "model-graded-factuality",
    "moderation", "perplexity", "perplexity-score", "python", "regex", "rouge-n", "ruby", "similar", "similar:cosine",
    "similar:dot", "similar:euclidean", "starts-with", "tool-call-f1", "skill-used", "trajectory:goal-success",
    "trajectory:tool-args-match", "trajectory:step-count", "trajectory:tool-sequence", "trajectory:tool-used",
    "trace-error-spans", "trace-span-count", "trace-span-duration", "search-rubric", "webhook", "word-count")
_CSV_ASSERTION = re.compile(r"^(not-)?(" + "|".join(re.escape(t) for t in ASSERTION_TYPES)
                            + r")(?:\((\d+(?:\.\d+)?)\))?(?::([\s\S]*))?$")
# Types whose CSV form gets a default threshold (0.75; promptfoo's semantic default for `similar`).
_CSV_THRESHOLD = {"answer-relevance", "classifier", "context-faithfulness", "context-recall", "context-relevance",
                  "cost", "latency", "levenshtein", "perplexity-score", "perplexity", "rouge-n", "similar",
                  "starts-with"}


def csv_assertion(text: str) -> dict[str, Any]:
    """promptfoo's assertionFromString: a CSV `__expected` cell as an assertion."""
    for prefix in ("javascript:", "fn:", "eval:"):
        if text.startswith(prefix):
            return {"type": "javascript", "value": text[len(prefix):].strip()}
    if text.startswith("file://") and text[7:].endswith((".js", ".cjs", ".mjs", ".ts")):
        return {"type": "javascript", "value": text}
    if text.startswith(("grade:", "llm-rubric:")):
        return {"type": "llm-rubric", "value": text[6 if text.startswith("grade:") else 11:]}
    if text.startswith("python:") or (text.startswith("file://") and (text.endswith(".py") or ".py:" in text)):
        return {"type": "python", "value": text[7:].strip() if text.startswith("python:") else text}
    m = _CSV_ASSERTION.match(text)
    if m is None:
        return {"type": "equals", "value": text}
    negate, kind, threshold, value = m.groups()
    full = f"not-{kind}" if negate else kind
    if kind in ("contains-all", "contains-any", "icontains-all", "icontains-any"):
        return {"type": full, "value": value}  # a comma-separated string, split by the assertion itself
    if kind in ("contains-json", "is-json"):
        return {"type": full, "value": value}
    out: dict[str, Any] = {"type": full, "value": value.strip() if value is not None else None}
    if kind in _CSV_THRESHOLD:
        out["threshold"] = float(threshold) if threshold is not None else (0.8 if kind == "similar" else 0.75)
    elif threshold is not None:
        out["threshold"] = float(threshold)
    return out


def csv_tests(path: Path, issues: Issues) -> list[tuple[dict[str, Any], str, int]]:
    """promptfoo's testCaseFromCsvRow: columns are vars, `__expected*` assertions, `__*` test fields."""
    tests = []
    for line, row in read_csv_records(path):
        test: dict[str, Any] = {"vars": {}, "assert": [], "options": {}}
        configs: dict[int, float] = {}
        for column, cell in row.items():
            if column.startswith("__expected"):
                if cell.strip():
                    test["assert"].append(csv_assertion(cell.strip()))
            elif column in ("__prefix", "__suffix"):
                test["options"][column[2:]] = cell
            elif column == "__description":
                test["description"] = cell
            elif column == "__metric":
                test["metric"] = cell
            elif column == "__threshold":
                if cell.strip():
                    try:
                        test["threshold"] = float(cell)
                    except ValueError:
                        issues.error(f"__threshold {cell!r} is not a number", str(path), line)
            elif column.startswith("__metadata:"):
                if cell.strip():
                    test.setdefault("metadata", {})[column[11:]] = cell
            elif column.startswith("__config:__expected") and column.endswith(":threshold"):
                suffix = column[len("__config:__expected"):-len(":threshold")]
                try:
                    configs[int(suffix) - 1 if suffix else 0] = float(cell)
                except ValueError:
                    issues.error(f"{column} {cell!r} is not a number", str(path), line)
            elif column == "__providerOutput":
                if cell.strip():
                    test["providerOutput"] = cell
            elif column.startswith("__"):
                issues.error(f"CSV column {column!r} is not imported", str(path), line)
            else:
                test["vars"][column] = cell
        for position, value in configs.items():
            if 0 <= position < len(test["assert"]):
                test["assert"][position]["threshold"] = value
        metric = test.pop("metric", None)
        if metric:
            for a in test["assert"]:
                a.setdefault("metric", metric)
        tests.append((test, str(path), line))
    return tests
