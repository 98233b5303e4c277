"""The tuning page: focus / holdout / guard estimates per iteration, training reward beside them.

TRL logs the training reward; a rising reward with a falling holdout pass rate is the
failure users report (TRL #2959): both are drawn on the same iteration axis here.
"""
from __future__ import annotations

from typing import Any

from gradeloop.report import plots
from gradeloop.report.html import _table, _verdict, esc, fmt


def _points(doc: dict[str, Any]) -> list[dict[str, Any]]:
    base = {"iteration": 0, **doc["baseline"], "kept": True}
    return [base] + [it for it in doc["iterations"] if it.get("focus")]


def tune_sections(doc: dict[str, Any]) -> list[str]:
    final = doc["final"]
    out = [f"<p>{esc(doc['strategy'])} on {esc(doc['base']['spec'])} · stopped: {esc(doc['stopped_because'])} · "
           f"final adapter: {esc(final['adapter'] or '(base model)')}</p>"]
    if final.get("holdout_improvement"):
        out.append(f"<p><b>Holdout improvement (final − base, 95% CI): {fmt(final['holdout_improvement'])}</b></p>")
    if final.get("guard_changes"):
        out.append(_table(["guard suite", "change (final − base)", "verdict"],
                          [[esc(n), fmt(g["diff"]), esc(g["verdict"])] for n, g in final["guard_changes"].items()]))
    pts = _points(doc)
    xs = [p["iteration"] for p in pts]
    series: dict[str, tuple[list[float], list[float], list[float]]] = {}

    def add(name: str, getter) -> None:
        ests = [getter(p) for p in pts]
        if all(e and e.get("n_cases") for e in ests):
            series[name] = ([e["mean"] for e in ests], [e["ci_low"] for e in ests], [e["ci_high"] for e in ests])

    add("focus dev", lambda p: p.get("focus"))
    add("holdout", lambda p: p.get("holdout"))
    for g in (doc["baseline"].get("guard") or {}):
        add(f"guard {g}", lambda p, g=g: (p.get("guard") or {}).get(g))
    rolled = {name: [not p["kept"] for p in pts] for name in series}
    if series and len(xs) > 1:
        out.append("<h2>Tuning curve</h2>" + plots.lines_with_bands(
            xs, series, "pass rate per iteration (95% CI; × = rolled back)", "iteration", "pass rate", rolled))
    rewards = [(it["iteration"], sum(it["train_reward"]) / len(it["train_reward"]))
               for it in doc["iterations"] if it.get("train_reward")]
    if rewards and "holdout" in series:
        hold = {p["iteration"]: p["holdout"] for p in pts if p.get("holdout")}
        xs2 = [i for i, _ in rewards if i in hold]
        if xs2:
            r = [v for i, v in rewards if i in hold]
            h = [hold[i] for i in xs2]
            out.append("<h2>Training reward vs holdout</h2>" + plots.lines_with_bands(
                xs2, {"mean training reward": (r, r, r),
                      "holdout pass rate": ([e["mean"] for e in h], [e["ci_low"] for e in h],
                                            [e["ci_high"] for e in h])},
                "what TRL logs vs what the task shows", "iteration", "value"))
    rows = []
    for it in doc["iterations"]:
        reward = it.get("train_reward") or []
        rows.append([str(it["iteration"]), esc(it["strategy"]), str(it["steps"]), fmt(it.get("focus")),
                     fmt(it.get("holdout")), f"{reward[0]:.2f} → {reward[-1]:.2f}" if reward else "–",
                     f"{it['wall_time_s']['train']:.1f} / {it['wall_time_s']['eval']:.1f}",
                     _verdict(it["kept"]) + (" kept" if it["kept"] else " rolled back"),
                     esc("; ".join(it.get("reasons", [])))])
    out.append("<h2>Iterations</h2>" + _table(
        ["iteration", "strategy", "steps", "focus dev", "holdout", "train reward", "train / eval s", "decision",
         "why"], rows))
    return out


def tune_markdown(doc: dict[str, Any]) -> str:
    f = doc["final"]
    lines = [f"### gradeloop tune `{doc['tune_id']}` ({doc['strategy']})", "",
             f"holdout improvement: {fmt(f.get('holdout_improvement'))}", "",
             "| iteration | focus dev | holdout | decision |", "|---|---|---|---|"]
    for it in doc["iterations"]:
        lines.append(f"| {it['iteration']} | {fmt(it.get('focus'))} | {fmt(it.get('holdout'))} | "
                     f"{'kept' if it['kept'] else 'rolled back'} |")
    return "\n".join(lines) + "\n"
