"""The compare page's content: two runs' paired comparison, its forest plots, and the cases that flipped.

The comparison is `gate.compare_runs` itself, fed the runs' lean forms (`figures.lean_run`: no
outputs), so the page shows the gate's own verdicts; only the flipped cases shown (at most
`max_flips` each way) have their first outputs read from the store.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from gradeloop.view import figures
from gradeloop.view.svg import forest
from gradeloop.view.viewer import Viewer


def _outcome(case: dict | None) -> str:
    """A case's verdict for flips: pass when more than half its valid samples pass (a tie is not a
    pass: fail closed); error when none is valid."""
    if case is None:
        return "missing"
    rate = case.get("pass_rate")
    return "error" if rate is None else ("pass" if rate > 0.5 else "fail")


def _shown(s: dict | None) -> str:
    if not s:
        return ""
    from gradeloop.tools.calls import shown_output

    out = shown_output(s.get("output"), s.get("tool_calls"))
    return out if out is not None else f"[error] {s.get('error') or ''}"


def compare_context(viewer: Viewer, base_id: str, cand_id: str, max_flips: int) -> dict[str, Any]:
    """The compare template's context for runs `base_id` and `cand_id`. A run too incomplete to judge is still
    shown (its missing samples count as errors, as with --allow-partial), and `partial` says why."""
    from gradeloop.gate import compare_runs
    from gradeloop.gate.partial import PartialRunError

    base, cand = viewer.lean(base_id), viewer.lean(cand_id)
    partial = None
    try:
        cmp = compare_runs(base, cand)
    except PartialRunError as exc:
        partial = str(exc)
        cmp = compare_runs(base, cand, allow_partial=True)
    b = {(c["suite"], c["id"]): c for c in base["cases"]}
    c_ = {(c["suite"], c["id"]): c for c in cand["cases"]}
    worse, better = [], []
    for key in [k for k in b if k in c_]:
        bo, co = _outcome(b[key]), _outcome(c_[key])
        if bo == "pass" and co != "pass":
            worse.append((key, bo, co))
        elif bo != "pass" and co == "pass":
            better.append((key, bo, co))

    shown = [k for k, _, _ in worse[:max_flips] + better[:max_flips]]
    b_out = figures.first_outputs(viewer.store(), base_id, shown)
    c_out = figures.first_outputs(viewer.store(), cand_id, shown)

    def rows(items: list) -> list[dict]:
        return [{"suite": k[0], "case": k[1], "base": bo, "cand": co, "base_output": _shown(b_out.get(k)),
                 "cand_output": _shown(c_out.get(k)),
                 "base_link": f"/runs/{quote(base_id, safe='')}/sample?" + urlencode({"suite": k[0], "case": k[1], "i": 0}),
                 "cand_link": f"/runs/{quote(cand_id, safe='')}/sample?" + urlencode({"suite": k[0], "case": k[1], "i": 0})}
                for k, bo, co in items[:max_flips]]

    scopes = [("all", cmp["overall"])] + list(cmp["slices"].items())
    return {"cmp": cmp, "partial": partial, "worse": rows(worse), "better": rows(better), "n_worse": len(worse),
            "n_better": len(better),
            "plot": forest([(n, e.get("diff"), e["verdict"]) for n, e in scopes], "paired difference by slice"),
            "grader_plot": forest([(n, e.get("diff"), e["verdict"]) for n, e in cmp["graders"].items()],
                                  "paired difference by grader")}
