"""The cases behind a compare verdict: worse and better cases, largest change first, shown safely."""
from __future__ import annotations

from gradeloop.gate import compare_runs
from gradeloop.report.markdown import compare_markdown
from gradeloop.run.schema import validate_document


def _run(run_id: str, outcomes: dict[str, list], outputs: dict[str, str] | None = None) -> dict:
    cases = []
    for cid, samples in outcomes.items():
        rows = []
        for v in samples:
            if v == "err":
                rows.append({"passed": None, "score": None, "grades": [], "error": "HTTP 500",
                             "error_kind": "target", "output": None})
            else:
                grades = [{"grader": "contains", "passed": bool(v), "score": float(v), "error": None,
                           "reason": None if v else "missing 'paris'"}]
                rows.append({"passed": bool(v), "score": float(v), "grades": grades, "error": None,
                             "error_kind": None, "output": (outputs or {}).get(cid, f"answer {cid}")})
        cases.append({"suite": "qa", "id": cid, "tags": {}, "samples": rows})
    return {"run_id": run_id, "target": {"spec": run_id, "fingerprint": run_id}, "status": "done", "samples_per_case": 2,
            "cases": cases}


def test_worse_cases_come_largest_drop_first_with_the_failing_output_and_reason():
    base = _run("b", {"a": [1, 1], "b": [1, 0], "c": [1, 1], "d": [0, 0], "e": [1, 1]})
    cand = _run("c", {"a": [0, 0], "b": [0, 0], "c": [1, 1], "d": [1, 0], "e": ["err", "err"]},
                outputs={"a": "Lyon"})
    changed = compare_runs(base, cand, allow_partial=True)["cases_changed"]
    assert changed["n_regressed"] == 3 and changed["n_improved"] == 1
    assert [r["case"] for r in changed["regressed"]] == ["qa/a", "qa/e", "qa/b"]  # -1, -1 (all errored), -0.5
    a, e, b = changed["regressed"]
    assert (a["baseline"], a["candidate"], a["change"]) == (1.0, 0.0, -1.0)
    assert a["output"] == "Lyon" and a["reason"] == "missing 'paris'"
    assert e["candidate"] is None and e["output"] == "HTTP 500"
    assert b["change"] == -0.5
    assert changed["improved"] == [{"case": "qa/d", "baseline": 0.0, "candidate": 0.5, "change": 0.5,
                                    "output": "answer d", "reason": "missing 'paris'"}]


def test_the_list_is_capped_but_the_counts_are_whole():
    n = 30
    base = _run("b", {f"k{i:02d}": [1, 1] for i in range(n)})
    cand = _run("c", {f"k{i:02d}": [0, 0] if i % 2 else [1, 0] for i in range(n)})
    changed = compare_runs(base, cand)["cases_changed"]
    assert changed["n_regressed"] == n and len(changed["regressed"]) == 20
    assert all(r["change"] == -1.0 for r in changed["regressed"][:15])  # the 15 full drops before the halves


def test_markdown_folds_the_changed_cases_and_escapes_what_the_model_wrote():
    hostile = "<img src=x onerror=alert(1)> | `rm -rf` [link](http://evil)"
    base = _run("b", {"a": [1, 1], "b": [1, 1]})
    cand = _run("c", {"a": [0, 0], "b": [1, 1]}, outputs={"a": hostile})
    doc = compare_runs(base, cand)
    validate_document(doc, "cmp.json")  # the schema knows the new field
    md = compare_markdown(doc)
    assert "<details><summary>1 case(s) worse, 0 better</summary>" in md
    assert "<img" not in md and "| `rm" not in md
    row = next(line for line in md.splitlines() if line.startswith("| `qa/a`"))
    assert "| 1.00 | 0.00 | -1.00 |" in row and "missing 'paris'" in row.replace("\\", "")
    assert compare_markdown(compare_runs(base, base))  # nothing changed: no details block
    assert "<details>" not in compare_markdown(compare_runs(base, base))


def test_the_html_report_lists_the_changed_cases_escaped():
    from gradeloop.report.html import render_html

    base = _run("b", {"a": [1, 1], "b": [0, 0]})
    cand = _run("c", {"a": [0, 0], "b": [1, 1]}, outputs={"a": "<script>alert(1)</script>"})
    page = render_html(compare_runs(base, cand))
    assert "<h2>Cases that changed</h2><p>1 worse, 1 better" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
