"""Markdown summaries for pull-request comments: the verdict first, then the numbers.

Every text that comes from a suite, a tag, a target spec or a run file is untrusted: in a PR
comment, `[click](https://evil)`, `![](https://tracker/pixel)`, raw HTML or an @-mention in a
suite name would render as a link, an image or a ping. `md_text` escapes it to plain text;
`md_code` puts identifiers in a code span no backtick can close. Specs are redacted of secrets.
"""
from __future__ import annotations

import re
from typing import Any

from gradeloop.targets.redact import redact_spec

# Everything CommonMark/GFM can read as markup inside a line: links and images ([]()!), autolinks
# and HTML (<>, written as entities), emphasis and strikethrough (*_~), code (`), entities (&), references and
# mentions (#@), emoji shortcodes and scheme-less autolinks (:), table cells (|), escapes (\).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~@:])")


def _fmt(e: dict | None) -> str:
    if not e or e.get("n_cases", 0) == 0:
        return "–"
    return f"{e['mean']:.3f} [{e['ci_low']:.3f}, {e['ci_high']:.3f}]"


def md_text(text: Any) -> str:
    """Untrusted text as literal Markdown text on one line: every markup character escaped."""
    flat = " ".join(str(text).split())
    # HTML characters as entities (no tag can open, whatever the renderer), the rest backslash-escaped
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", flat)


def md_code(text: Any) -> str:
    """Untrusted text as an inline code span on one line (a table cell's pipes escaped, as GFM wants)."""
    body = " ".join(str(text).split())
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body else ""
    return f"{fence}{pad}{body}{pad}{fence}".replace("|", "\\|")


def _cell(text: Any) -> str:
    """Table-safe literal text (see `md_text`)."""
    return md_text(text)


def run_markdown(run: dict[str, Any], *, failing: int = 10) -> str:
    """A run for a PR comment: each suite's verdict and threshold, the slices, errors counted,
    then the failing cases (id, first grader reason, output excerpt) when the run has its cases."""
    lines = [f"### gradeloop run {md_code(run['run_id'])} — {md_text(redact_spec(str(run['target']['spec'])))}", "",
             "| suite | verdict | pass rate [95% CI] | score | cases | error rate | threshold |",
             "|---|---|---|---|---|---|---|"]
    for s in run["suites"]:
        m, tr = s["metrics"], s.get("thresholds_result")
        th = "–" if not tr else f"{tr['value']:.3f} vs {tr['min_pass_rate']} ({tr.get('verdict') or tr['passed']})"
        verdict = s.get("verdict") or "–"
        icon = {"pass": "✅", "fail": "❌", "inconclusive": "⚠️"}.get(verdict, "")
        lines.append(f"| {_cell(s['name'])} | {icon} {verdict} | {_fmt(m['pass_rate'])} | {_fmt(m['score'])} | "
                     f"{m['pass_rate']['n_cases']} | {_rate(m.get('errors'))} | {th} |")
    slices = run.get("slices") or {}
    if slices:
        lines += ["", "| slice | pass rate [95% CI] | cases | error rate |", "|---|---|---|---|"]
        for name, sl in slices.items():
            lines.append(f"| {_cell(name)} | {_fmt(sl['pass_rate'])} | {sl['pass_rate']['n_cases']} | "
                         f"{_rate(sl.get('errors'))} |")
    messages = run.get("error_messages") or []
    if messages:
        lines += [""] + [f"- error, {m['count']}×: {_cell(m['message'])}" for m in messages]
    if run.get("cases") is not None:
        from gradeloop.report.failures import failures_from_run

        found, total = failures_from_run(run, limit=failing)
        if total:
            lines += ["", f"**Failing cases** ({total}{f', first {len(found)}' if total > len(found) else ''}):", "",
                      "| case | why | output |", "|---|---|---|"]
            for f in found:
                out = "–" if f.output is None else (f.output if len(f.output) <= 120 else f.output[:117] + "...")
                lines.append(f"| {md_code(f'{f.suite}/{f.case_id}')} | {_cell(f.reason)} | {_cell(out)} |")
    return "\n".join(lines) + "\n"


def _rate(errors: dict | None) -> str:
    return "–" if not errors else f"{errors.get('rate', 0.0):.1%}"


def compare_markdown(cmp: dict[str, Any]) -> str:
    icon = {"pass": "✅ pass", "inconclusive": "⚠️ inconclusive"}.get(cmp["verdict"], "❌ fail")
    lines = [f"### gradeloop gate: {icon}", "",
             f"baseline {md_code(cmp['baseline']['run_id'])} vs candidate {md_code(cmp['candidate']['run_id'])}, "
             f"{cmp['shared_cases']} shared cases", ""]
    if cmp["failing"]:
        lines += ["**Failing:** " + ", ".join(_cell(f) for f in cmp["failing"]), ""]
    for line in cmp.get("to_decide") or []:  # what would decide an inconclusive verdict
        lines += [f"- to decide: {_cell(line)}"]
    for m in cmp.get("error_messages") or []:
        lines += [f"- candidate error, {m['count']}×: {_cell(m['message'])}"]
    if cmp.get("to_decide") or cmp.get("error_messages"):
        lines += [""]
    lines += ["| slice | cases | baseline | candidate | difference | adj. p | MDE | verdict |",
              "|---|---|---|---|---|---|---|---|"]
    for name, e in {"all": cmp["overall"], **cmp["slices"]}.items():
        p = "–" if e.get("p_value_adjusted") is None else f"{e['p_value_adjusted']:.3g}"
        mde = "–" if e.get("mde") is None else f"{e['mde']:.3f}"
        lines.append(f"| {_cell(name)} | {e['n_cases']} | {_fmt(e['baseline'])} | {_fmt(e['candidate'])} | "
                     f"{_fmt(e.get('diff'))} | {p} | {mde} | {e['verdict']} |")
    lines += ["", "The MDE column is the smallest drop this many cases can detect: "
              "“no significant change” is not proof of no change below it."]
    lines += _changed_cases(cmp.get("cases_changed"))
    return "\n".join(lines) + "\n"


def _changed_cases(changed: dict | None) -> list[str]:
    """The cases that got worse (and better), largest change first, folded: what a reviewer opens next."""
    if not changed or not (changed.get("n_regressed") or changed.get("n_improved")):
        return []
    out = ["", f"<details><summary>{changed['n_regressed']} case(s) worse, {changed['n_improved']} better"
               "</summary>", ""]
    for label, key, total in (("worse", "regressed", changed["n_regressed"]),
                              ("better", "improved", changed["n_improved"])):
        rows = changed.get(key) or []
        if not rows:
            continue
        shown = f" (the {len(rows)} largest)" if total > len(rows) else ""
        out += [f"**{label.capitalize()}**{shown}:", "", "| case | baseline | candidate | change | candidate output |",
                "|---|---|---|---|---|"]
        for r in rows:
            cand = "errors" if r.get("candidate") is None else f"{r['candidate']:.2f}"
            said = r.get("output")
            cell = "–" if said is None else _cell(said if len(said) <= 120 else said[:117] + "...")
            if r.get("reason"):
                cell += f" ({_cell(r['reason'])})"
            out.append(f"| {md_code(r['case'])} | {r['baseline']:.2f} | {cand} | {r['change']:+.2f} | {cell} |")
        out.append("")
    return out + ["</details>"]


def render_markdown(doc: dict[str, Any]) -> str:
    schema = doc.get("schema", "")
    if schema.startswith("gradeloop.compare"):
        return compare_markdown(doc)
    if schema.startswith("gradeloop.tune"):
        from gradeloop.report.tune_html import tune_markdown

        return tune_markdown(doc)
    return run_markdown(doc)
