"""One self-contained HTML page for a run, a comparison or a tuning run.

No scripts, no network: inline CSS and inline SVG only. Every piece of model output and suite
text goes through `esc`, so a `<script>` in an output renders as text.
"""
from __future__ import annotations

import html
from typing import Any, Callable

from gradeloop.report import plots
from gradeloop.report.terminal import interval_level
from gradeloop.targets.redact import redact_spec
from gradeloop.tools.calls import shown_output

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5}.pass{color:#197a2e;font-weight:600}.fail{color:#b3261e;font-weight:600}
pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f7;padding:6px;margin:0;max-height:16em;overflow:auto}
.muted{color:#777}.num{text-align:right;font-variant-numeric:tabular-nums}
"""


def esc(value: Any) -> str:
    """Escape anything untrusted for HTML text and attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt(e: dict | None) -> str:
    if not e or e.get("n_cases", 0) == 0:
        return "–"
    return f"{e['mean']:.3f} [{e['ci_low']:.3f}, {e['ci_high']:.3f}]"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    """Rows are already-escaped HTML fragments."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _page(title: str, sections: list[str]) -> str:
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{esc(title)}</h1>" + "".join(sections) + "</body></html>")


def _verdict(ok: bool) -> str:
    return '<span class="pass">PASS</span>' if ok else '<span class="fail">FAIL</span>'


# runs ---------------------------------------------------------------------------------------
def run_sections(run: dict[str, Any], max_failing: int = 200) -> list[str]:
    """Summary, slices with error bars, graders, optional probe/calibration sections, failing cases."""
    out = [f"<p class=\"muted\">run {esc(run['run_id'])} · target {esc(redact_spec(str(run['target']['spec'])))} · "
           f"{run['samples_per_case']} sample(s) per case · 95% intervals, clustered by case</p>"]
    rows = []
    for s in run["suites"]:
        m, tr = s["metrics"], s.get("thresholds_result")
        rows.append([esc(s["name"]), esc(s.get("split")), fmt(m["pass_rate"]), fmt(m["score"]),
                     str(m["pass_rate"]["n_cases"]), str(m["errors"]["target"]), str(m["errors"]["grader"]),
                     _verdict(tr["passed"]) if tr else "–"])
    m = run["metrics"]
    rows.append(["<b>all</b>", "", fmt(m["pass_rate"]), fmt(m["score"]), str(m["pass_rate"]["n_cases"]),
                 str(m["errors"]["target"]), str(m["errors"]["grader"]), ""])
    out.append("<h2>Summary</h2>" + _table(
        ["suite", "split", "pass rate", "score", "cases", "target errors", "grader errors", "threshold"], rows))
    extra = [k for k in m if k.startswith("pass@") or k.startswith("pass^")]
    if extra:
        out.append(_table(["metric", "estimate"], [[esc(k), fmt(m[k])] for k in extra]))
    sl = {k: v for k, v in run["slices"].items() if v["pass_rate"]["n_cases"]}
    if sl:
        names = list(sl)
        out.append("<h2>Slices</h2>" + plots.bars_with_errors(
            names, [sl[n]["pass_rate"]["mean"] for n in names], [sl[n]["pass_rate"]["ci_low"] for n in names],
            [sl[n]["pass_rate"]["ci_high"] for n in names], "pass rate by slice (95% CI)"))
        out.append(_table(["slice", "pass rate", "score", "cases"],
                          [[esc(n), fmt(sl[n]["pass_rate"]), fmt(sl[n]["score"]), str(sl[n]["pass_rate"]["n_cases"])]
                           for n in names]))
    if run.get("graders"):
        out.append("<h2>Graders</h2>" + _table(
            ["grader", "pass rate", "cases"],
            [[esc(g), fmt(v["pass_rate"]), str(v["pass_rate"]["n_cases"])] for g, v in run["graders"].items()]))
    for section in _optional_sections(run):
        out.append(section)
    out.append(_failing_cases(run, max_failing))
    return out


def _optional_sections(run: dict[str, Any]) -> list[str]:
    """Sections from other packages, present only when the run has what they need."""
    out = []
    for _name, build in _EXTRA_SECTIONS:
        html_part = build(run)
        if html_part:
            out.append(html_part)
    return out


def _failing_cases(run: dict[str, Any], limit: int) -> str:
    rows = []
    for c in run["cases"]:
        for s in c["samples"]:
            if s["passed"] is True:
                continue
            why = "; ".join(f"{g['grader']}: {g.get('reason', '')}" for g in s["grades"] if not g.get("passed"))
            status = "error" if s.get("error_kind") else "fail"
            rows.append([esc(f"{c['suite']}/{c['id']}#{s['index']}"), esc(status),
                         f"<pre>{esc(_input_text(c['input']))}</pre>",
                         f"<pre>{esc(shown_output(s['output'], s.get('tool_calls')))}</pre>",
                         esc(s.get("error") or why)])
            if len(rows) >= limit:
                break
    if not rows:
        return "<h2>Failing cases</h2><p>None.</p>"
    return "<h2>Failing cases</h2>" + _table(["case", "status", "input", "output", "reason"], rows)


def _input_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "\n".join(f"[{m.get('role')}] {m.get('content')}" for m in value)


# comparisons ---------------------------------------------------------------------------------
def compare_sections(cmp: dict[str, Any]) -> list[str]:
    ok = cmp["verdict"] == "pass"
    out = [f"<p>Gate: {_verdict(ok)} · baseline {esc(cmp['baseline']['run_id'])} "
           f"({esc(redact_spec(str(cmp['baseline']['target']['spec'])))}) vs candidate {esc(cmp['candidate']['run_id'])} "
           f"({esc(redact_spec(str(cmp['candidate']['target']['spec'])))}) · {cmp['shared_cases']} shared cases</p>"]
    if cmp["failing"]:
        out.append("<p class=\"fail\">failing: " + esc(", ".join(cmp["failing"])) + "</p>")
    if cmp.get("verdict") == "inconclusive":
        out.append("<p class=\"fail\">inconclusive: " + esc("; ".join(cmp.get("to_decide") or [])) + "</p>")
    if cmp.get("error_messages"):
        out.append("<p>candidate errors: " + esc("; ".join(f"{m['count']}× {m['message']}"
                                                             for m in cmp["error_messages"])) + "</p>")
    out.append("<h2>Checks</h2>" + _table(["check", "scope", "result", "detail"], [
        [esc(c["kind"]), esc(c["scope"]), _verdict(c["passed"]), esc(c["message"])] for c in cmp["checks"]]))
    entries = {"all": cmp["overall"], **cmp["slices"]}
    tested = {n: e for n, e in entries.items() if e.get("diff")}
    if tested:
        names = list(tested)
        colors = ["#b3261e" if tested[n]["verdict"] in ("fail", "regression") else
                  "#a36b00" if tested[n]["verdict"] == "inconclusive" else
                  "#197a2e" if tested[n].get("finding", tested[n]["verdict"]) == "improvement" else "#555"
                  for n in names]
        out.append("<h2>Differences by slice</h2>" + plots.forest(
            names, [tested[n]["diff"]["mean"] for n in names], [tested[n]["diff"]["ci_low"] for n in names],
            [tested[n]["diff"]["ci_high"] for n in names], colors, f"candidate − baseline ({interval_level(cmp)} interval)",
            margin=cmp["policy"]["margin"]))
    rows = []
    for n, e in entries.items():
        rows.append([esc(n), str(e["n_cases"]), fmt(e["baseline"]), fmt(e["candidate"]), fmt(e.get("diff")),
                     "–" if e.get("p_value_adjusted") is None else f"{e['p_value_adjusted']:.3g}",
                     "–" if e.get("mde") is None else f"{e['mde']:.3f}", esc(e["verdict"])])
    out.append(_table(["slice", "cases", "baseline", "candidate", "difference", "adj. p", "MDE", "verdict"], rows))
    if cmp["graders"]:
        out.append("<h2>Graders</h2>" + _table(["grader", "baseline", "candidate", "difference", "verdict"], [
            [esc(g), fmt(e["baseline"]), fmt(e["candidate"]), fmt(e.get("diff")), esc(e["verdict"])]
            for g, e in cmp["graders"].items()]))
    for label, key in (("only in baseline", "only_in_baseline"), ("only in candidate", "only_in_candidate")):
        if cmp[key]:
            out.append(f"<p class=\"muted\">{len(cmp[key])} case(s) {label}: {esc(', '.join(cmp[key][:50]))}</p>")
    out += _changed_cases(cmp.get("cases_changed"))
    return out


def _changed_cases(changed: dict[str, Any] | None) -> list[str]:
    """The shared cases that got worse (and better), largest change first: what a reviewer opens next."""
    if not changed or not (changed.get("n_regressed") or changed.get("n_improved")):
        return []
    out = [f"<h2>Cases that changed</h2><p>{int(changed['n_regressed'])} worse, {int(changed['n_improved'])} better"
           " (the largest changes first)</p>"]
    for label, key in (("Worse", "regressed"), ("Better", "improved")):
        rows = changed.get(key) or []
        if rows:
            out.append(f"<h3>{label}</h3>" + _table(["case", "baseline", "candidate", "change", "candidate output", "why"], [
                [esc(r["case"]), f"{r['baseline']:.2f}", "errors" if r.get("candidate") is None else f"{r['candidate']:.2f}",
                 f"{r['change']:+.2f}", esc(r.get("output") if r.get("output") is not None else "–"),
                 esc(r.get("reason") or "")] for r in rows]))
    return out


def render_html(doc: dict[str, Any]) -> str:
    """The page for any gradeloop document, chosen by its schema."""
    schema = doc.get("schema", "")
    if schema.startswith("gradeloop.compare"):
        return _page("gradeloop comparison", compare_sections(doc))
    if schema.startswith("gradeloop.tune"):
        from gradeloop.report.tune_html import tune_sections

        return _page("gradeloop tuning", tune_sections(doc))
    return _page(f"gradeloop run {doc.get('run_id', '')}", run_sections(doc))


# Sections contributed by other packages (probes, calibration), each returning "" when a run
# has nothing for it. Registered by name so the page order stays stable.
def _robustness(run: dict[str, Any]) -> str:
    from gradeloop.report.sections import robustness_section

    return robustness_section(run)


def _calibration(run: dict[str, Any]) -> str:
    from gradeloop.report.sections import calibration_section

    return calibration_section(run)


_EXTRA_SECTIONS: list[tuple[str, Callable[[dict], str]]] = [("robustness", _robustness),
                                                             ("calibration", _calibration)]
