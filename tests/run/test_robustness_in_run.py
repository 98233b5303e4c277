"""Runs whose suite holds mutated variants carry robustness per operator (issue 11 item 7)."""
from __future__ import annotations

import json

from gradeloop.cli import main


def test_run_json_and_terminal_carry_stability_worst_case_and_flips_per_operator(workdir, capsys):
    lines = ["name: robust", "cases:"]
    outputs = {}
    for p in range(4):
        for cid in [f"p{p}", f"p{p}~typos~1", f"p{p}~typos~2", f"p{p}~casing~1"]:
            lines += [f"  - id: \"{cid}\"", f"    input: question {cid}", "    graders: [{type: contains, value: ok}]"]
            # typos break parents 0 and 1 (pass -> fail); casing never does
            outputs[cid] = "no" if ("typos" in cid and p < 2) else "ok"
    (workdir / "s.yaml").write_text("\n".join(lines) + "\n")
    (workdir / "r.jsonl").write_text("".join(json.dumps({"case_id": k, "output": v}) + "\n" for k, v in outputs.items()))
    assert main(["eval", "s.yaml", "-t", "replay:r.jsonl", "--json", "run.json"]) == 0
    out = capsys.readouterr().out
    assert "robustness" in out and "typos" in out and "casing" in out
    rob = json.loads((workdir / "run.json").read_text())["robustness"]
    typos, casing = rob["by_operator"]["typos"], rob["by_operator"]["casing"]
    assert typos["n_parents"] == 4 and typos["n_variants"] == 8
    assert typos["stability"]["mean"] == 0.5 and typos["flip_pass_to_fail"]["mean"] == 0.5
    assert typos["worst_case"]["mean"] == 0.5
    assert casing["stability"]["mean"] == 1.0 and casing["flip_pass_to_fail"]["mean"] == 0.0
    assert len(rob["flips"]) == 4
    # the table-only path (no --json) shows the same figures
    assert main(["eval", "s.yaml", "-t", "replay:r.jsonl"]) == 0
    assert "robustness" in capsys.readouterr().out


def test_run_without_variants_has_no_robustness_key(workdir):
    (workdir / "s.yaml").write_text("name: plain\ncases:\n  - {id: a~b, input: q, graders: [{type: contains, value: ok}]}\n")
    (workdir / "r.jsonl").write_text(json.dumps({"case_id": "a~b", "output": "ok"}) + "\n")
    main(["eval", "s.yaml", "-t", "replay:r.jsonl", "--json", "run.json", "-q"])
    assert "robustness" not in json.loads((workdir / "run.json").read_text())
