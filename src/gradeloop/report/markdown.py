"""Markdown summaries for pull-request comments: the verdict first, then the numbers."""
from __future__ import annotations

from typing import Any


def _fmt(e: dict | None) -> str:
    if not e or e.get("n_cases", 0) == 0:
        return "–"
    return f"{e['mean']:.3f} [{e['ci_low']:.3f}, {e['ci_high']:.3f}]"


def _cell(text: Any) -> str:
    """Table-safe text: pipes and newlines would break the table; angle brackets stay text."""
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def run_markdown(run: dict[str, Any]) -> str:
    lines = [f"### gradeloop run `{run['run_id']}` — {_cell(run['target']['spec'])}", "",
             "| suite | pass rate [95% CI] | score | cases | errors | threshold |", "|---|---|---|---|---|---|"]
    for s in run["suites"]:
        m, tr = s["metrics"], s.get("thresholds_result")
        th = "–" if not tr else ("✅" if tr["passed"] else "❌") + f" {tr['value']:.3f} ≥ {tr['min_pass_rate']}"
        lines.append(f"| {_cell(s['name'])} | {_fmt(m['pass_rate'])} | {_fmt(m['score'])} | "
                     f"{m['pass_rate']['n_cases']} | {m['errors']['target'] + m['errors']['grader']} | {th} |")
    return "\n".join(lines) + "\n"


def compare_markdown(cmp: dict[str, Any]) -> str:
    icon = "✅ pass" if cmp["verdict"] == "pass" else "❌ fail"
    lines = [f"### gradeloop gate: {icon}", "",
             f"baseline `{cmp['baseline']['run_id']}` vs candidate `{cmp['candidate']['run_id']}`, "
             f"{cmp['shared_cases']} shared cases", ""]
    if cmp["failing"]:
        lines += ["**Failing:** " + ", ".join(_cell(f) for f in cmp["failing"]), ""]
    lines += ["| slice | cases | baseline | candidate | difference | adj. p | MDE | verdict |",
              "|---|---|---|---|---|---|---|---|"]
    for name, e in {"all": cmp["overall"], **cmp["slices"]}.items():
        p = "–" if e.get("p_value_adjusted") is None else f"{e['p_value_adjusted']:.3g}"
        mde = "–" if e.get("mde") is None else f"{e['mde']:.3f}"
        lines.append(f"| {_cell(name)} | {e['n_cases']} | {_fmt(e['baseline'])} | {_fmt(e['candidate'])} | "
                     f"{_fmt(e.get('diff'))} | {p} | {mde} | {e['verdict']} |")
    lines += ["", "The MDE column is the smallest drop this many cases can detect: "
              "“no significant change” is not proof of no change below it."]
    return "\n".join(lines) + "\n"


def render_markdown(doc: dict[str, Any]) -> str:
    schema = doc.get("schema", "")
    if schema.startswith("gradeloop.compare"):
        return compare_markdown(doc)
    if schema.startswith("gradeloop.tune"):
        from gradeloop.report.tune_html import tune_markdown

        return tune_markdown(doc)
    return run_markdown(doc)
