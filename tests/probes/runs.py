"""Build run JSON dicts (schema gradeloop.run/v1) by hand, as the run engine would write them."""
from __future__ import annotations

from typing import Any, Sequence

REFUSAL = "I'm sorry, but I can't help with that."
ANSWER = "Sure. Here is what you can do: first, check the logs."


def sample(passed: bool | None, output: str | None = "ok", grades: Sequence[dict] = (), error: str | None = None,
           error_kind: str | None = None) -> dict[str, Any]:
    return {"output": output, "passed": passed, "score": None if passed is None else float(passed),
            "grades": list(grades), "signals": {}, "error": error, "error_kind": error_kind}


def case(cid: str, passes: Sequence[bool | None] = (), *, parent: str | None = None, tags: dict | None = None,
         expect: str | None = None, outputs: Sequence[str] | None = None, suite: str = "s",
         grades: Sequence[Sequence[dict]] | None = None) -> dict[str, Any]:
    n = len(outputs) if outputs is not None else len(passes)
    samples = []
    for i in range(n):
        passed = passes[i] if i < len(passes) else True
        output = outputs[i] if outputs is not None else "ok"
        err = "timeout" if passed is None else None
        samples.append(sample(passed, None if err else output, grades[i] if grades else (), err,
                              "target" if err else None))
    valid = [s["passed"] for s in samples if s["passed"] is not None]
    return {"id": cid, "suite": suite, "tags": dict(tags or {}), "parent": parent, "expect": expect,
            "pass_rate": (sum(valid) / len(valid)) if valid else None, "samples": samples}


def run(*cases: dict) -> dict[str, Any]:
    return {"schema": "gradeloop.run/v1", "run_id": "r1", "cases": list(cases)}
