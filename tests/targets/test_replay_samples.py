"""Replay uses what was recorded: every recorded sample by default, never a silent drop (issue 11)."""
from __future__ import annotations

import json

from gradeloop.cli import main


def _suite(path, n):
    lines = ["name: rep", "cases:"]
    for i in range(n):
        lines += [f"  - id: c{i}", f"    input: question {i}", "    graders: [{type: contains, value: ok}]"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_replay_with_five_recorded_samples_uses_five(workdir):
    suite = _suite(workdir / "s.yaml", 4)
    rows = [{"case_id": f"c{i}", "sample": k, "output": "ok" if k < 2 else "no"} for i in range(4) for k in range(5)]
    (workdir / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["eval", str(suite), "-t", "replay:r.jsonl", "--json", "run.json", "-q"]) == 0
    run = json.loads((workdir / "run.json").read_text())
    assert run["samples_per_case"] == 5
    assert all(len(c["samples"]) == 5 for c in run["cases"])
    assert run["metrics"]["pass_rate"]["mean"] == 0.4 and run["metrics"]["errors"]["rate"] == 0.0


def test_unindexed_recorded_samples_are_all_used_in_order(workdir):
    suite = _suite(workdir / "s.yaml", 2)
    rows = [{"case_id": f"c{i}", "output": out} for i in range(2) for out in ("ok", "no", "no")]
    (workdir / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    main(["eval", str(suite), "-t", "replay:r.jsonl", "--json", "run.json", "-q"])
    run = json.loads((workdir / "run.json").read_text())
    assert run["samples_per_case"] == 3
    assert [s["output"] for s in run["cases"][0]["samples"]] == ["ok", "no", "no"]


def test_more_samples_than_recorded_is_an_error_per_sample_never_a_cycle(workdir, capsys):
    suite = _suite(workdir / "s.yaml", 2)
    rows = [{"case_id": "c0", "output": "ok"}, {"case_id": "c0", "output": "ok"},
            {"case_id": "c1", "output": "ok"}]  # c1 has one sample recorded, c0 two
    (workdir / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    main(["eval", str(suite), "-t", "replay:r.jsonl", "--samples", "3", "--json", "run.json", "-q"])
    run = json.loads((workdir / "run.json").read_text())
    errors = run["metrics"]["errors"]
    assert errors["target"] == 3 and errors["planned"] == 6 and errors["rate"] == 0.5
    msgs = {m["message"] for m in run["error_messages"]}
    assert "no recorded output for case 'c1' sample 1 (1 recorded)" in msgs
    assert "no recorded output for case" in capsys.readouterr().err
