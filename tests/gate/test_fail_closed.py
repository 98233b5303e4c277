"""Issue 11 acceptance: no crash, error, missing output, empty or unfinished run ever passes.

Each scenario is run through the CLI as a user would: `eval` with a threshold, `compare` against a
clean baseline and the sequential `gate`. None may exit 0.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradeloop.cli import main

N = 30  # 20 "general" cases + 10 "refund" cases


def _suite(path: Path) -> Path:
    lines = ["name: support", "thresholds: {min_pass_rate: 0.8}", "cases:"]
    for i in range(N):
        area = "refund" if i < 10 else "general"
        lines += [f"  - id: c{i}", f"    input: question {i}", f"    tags: {{area: {area}}}",
                  "    graders: [{type: contains, value: ok}]"]
    path.write_text("\n".join(lines) + "\n")
    return path


def _replay(path: Path, ids) -> str:
    path.write_text("".join(json.dumps({"case_id": f"c{i}", "output": "ok"}) + "\n" for i in ids))
    return f"replay:{path}"


def _py_target(workdir: Path, name: str, raises_when: str) -> str:
    """A py: target answering 'ok' and raising when `raises_when` (a Python expression on i) holds."""
    (workdir / f"{name}.py").write_text(
        "def answer(prompt):\n"
        "    i = int(str(prompt).split()[-1])\n"
        f"    if {raises_when}:\n"
        "        raise RuntimeError('upstream 500: model unavailable')\n"
        "    return 'ok'\n")
    return f"py:{name}:answer"


@pytest.fixture
def setup(workdir):
    suite = _suite(workdir / "suite.yaml")
    assert main(["eval", str(suite), "-t", _replay(workdir / "base.jsonl", range(N)), "--json", "base.json",
                 "-q"]) == 0
    return workdir, suite


def _candidates(workdir: Path) -> dict[str, str]:
    return {
        "all-error": _py_target(workdir, "h1_all_error", "True"),
        "60%-error": _py_target(workdir, "h1_sixty", "i % 5 < 3"),
        "crashing": _py_target(workdir, "h1_crash_refund", "i < 10"),
        "missing-output": _replay(workdir / "missing.jsonl", range(15, N)),
        "empty": _replay(workdir / "empty.jsonl", []),
    }


def test_eval_with_a_threshold_never_passes_errors(setup, capsys):
    workdir, suite = setup
    for name, spec in _candidates(workdir).items():
        rc = main(["eval", str(suite), "-t", spec, "--json", f"{name}.json", "-q"])
        run = json.loads((workdir / f"{name}.json").read_text())
        assert rc == 1, name
        assert run["suites"][0]["verdict"] in ("fail", "inconclusive"), name
        assert run["metrics"]["errors"]["rate"] > 0, name
    err = capsys.readouterr().err
    assert "upstream 500: model unavailable" in err and "no recorded output" in err  # messages, counted
    assert "inconclusive" in err


def test_suite_without_threshold_whose_every_sample_errors_does_not_exit_0(workdir):
    suite = workdir / "nothr.yaml"
    suite.write_text("name: nothr\ncases:\n  - {id: c1, input: question 1, graders: [{type: contains, value: ok}]}\n")
    assert main(["eval", str(suite), "-t", _py_target(workdir, "h1_nothr", "True"), "-q"]) == 1


def test_compare_never_passes_errors_missing_outputs_or_partial_runs(setup, capsys):
    workdir, suite = setup
    for name, spec in _candidates(workdir).items():
        main(["eval", str(suite), "-t", spec, "--json", f"{name}.json", "-q"])
        rc = main(["compare", "base.json", f"{name}.json", "--json", f"cmp-{name}.json"])
        assert rc == 1, name
        cmp = json.loads((workdir / f"cmp-{name}.json").read_text())
        assert cmp["verdict"] in ("fail", "inconclusive") and not cmp["passed"], name
    base = json.loads((workdir / "base.json").read_text())
    # a run JSON with "cases": [] and a run killed part-way are refused (exit 2) ...
    (workdir / "cases-empty.json").write_text(json.dumps({**base, "cases": []}))
    killed = {**base, "status": "running",
              "cases": [{**c, "samples": c["samples"] if i < 8 else []} for i, c in enumerate(base["cases"])]}
    (workdir / "killed.json").write_text(json.dumps(killed))
    capsys.readouterr()
    assert main(["compare", "base.json", "cases-empty.json"]) == 2
    assert "empty" in capsys.readouterr().err
    assert main(["compare", "base.json", "killed.json"]) == 2
    assert "unfinished" in capsys.readouterr().err
    # ... and judged with --allow-partial: the missing samples count as errors, never as a pass
    assert main(["compare", "base.json", "cases-empty.json", "--allow-partial"]) == 1
    assert main(["compare", "base.json", "killed.json", "--allow-partial", "--json", "k.json"]) == 1
    cmp = json.loads((workdir / "k.json").read_text())
    assert cmp["overall"]["errors"]["candidate"]["missing"] == N - 8
    assert "to decide" in capsys.readouterr().out


def test_compare_prints_the_verdict_and_what_would_decide_it(setup, capsys):
    workdir, suite = setup
    main(["eval", str(suite), "-t", _candidates(workdir)["crashing"], "--json", "crash.json", "-q"])
    capsys.readouterr()
    assert main(["compare", "base.json", "crash.json"]) == 1
    out = capsys.readouterr().out
    assert "gate:" in out and ("FAIL" in out or "INCONCLUSIVE" in out)
    assert "upstream 500" in out


def test_sequential_gate_never_passes_errors_or_missing_outputs(setup):
    workdir, suite = setup
    for name, spec in _candidates(workdir).items():
        rc = main(["gate", str(suite), "--baseline", "base.json", "-t", spec, "--round-size", "10",
                   "--json", f"gate-{name}.json"])
        assert rc == 1, name
        res = json.loads((workdir / f"gate-{name}.json").read_text())
        assert res["verdict"] in ("fail", "inconclusive") and not res["passed"], name


def test_sequential_gate_refuses_an_unfinished_baseline(setup, capsys):
    workdir, suite = setup
    base = json.loads((workdir / "base.json").read_text())
    (workdir / "killed.json").write_text(json.dumps({**base, "status": "running"}))
    capsys.readouterr()
    rc = main(["gate", str(suite), "--baseline", "killed.json", "-t", _replay(workdir / "same.jsonl", range(N))])
    assert rc == 2 and "unfinished" in capsys.readouterr().err


def test_a_clean_candidate_still_passes_everywhere(setup):
    workdir, suite = setup
    same = _replay(workdir / "same.jsonl", range(N))
    assert main(["eval", str(suite), "-t", same, "--json", "same.json", "-q"]) == 0
    assert main(["compare", "base.json", "same.json"]) == 0
    assert main(["gate", str(suite), "--baseline", "base.json", "-t", same, "--round-size", "10"]) == 0


def test_passing_an_inconclusive_verdict_is_an_explicit_printed_policy_choice(setup, capsys):
    workdir, suite = setup
    main(["eval", str(suite), "-t", _replay(workdir / "missing.jsonl", range(15, N)), "--json", "m.json", "-q"])
    (workdir / "lenient.yaml").write_text("on_inconclusive: pass\nmax_error_increase: 1.0\n")
    capsys.readouterr()
    assert main(["compare", "base.json", "m.json", "--policy", "lenient.yaml", "--json", "c.json"]) == 0
    cmp = json.loads((workdir / "c.json").read_text())
    assert cmp["verdict"] == "inconclusive" and cmp["passed"] is True
    assert "passed by policy: on_inconclusive: pass" in capsys.readouterr().out


def test_a_suite_may_allow_some_errors_explicitly(workdir) -> None:
    """`thresholds.max_error_rate` is the suite's own allowance: 1 missing output in 30 passes at 0.05."""
    suite = _suite(workdir / "suite.yaml")
    missing_one = _replay(workdir / "m1.jsonl", range(1, N))
    assert main(["eval", str(suite), "-t", missing_one, "-q"]) == 1  # default: errors make it inconclusive
    suite.write_text(suite.read_text().replace("{min_pass_rate: 0.8}", "{min_pass_rate: 0.8, max_error_rate: 0.05}"))
    assert main(["eval", str(suite), "-t", missing_one, "-q"]) == 0
    assert main(["eval", str(suite), "-t", _replay(workdir / "m3.jsonl", range(3, N)), "-q"]) == 1  # 10% > 5%
    suite.write_text(suite.read_text().replace("max_error_rate: 0.05", "max_error_rate: 2"))
    assert main(["eval", str(suite), "-t", missing_one, "-q"]) == 2  # bad input: one line, exit 2


def test_a_suite_without_a_threshold_is_not_passed_over_errors(workdir) -> None:
    """No threshold, 1 of 30 outputs missing: inconclusive (exit 1) unless the suite allows errors."""
    suite = _suite(workdir / "suite.yaml")
    suite.write_text(suite.read_text().replace("thresholds: {min_pass_rate: 0.8}", "thresholds: {}"))
    missing_one = _replay(workdir / "m1.jsonl", range(1, N))
    assert main(["eval", str(suite), "-t", _replay(workdir / "all.jsonl", range(N)), "-q"]) == 0
    assert main(["eval", str(suite), "-t", missing_one, "-q"]) == 1
    suite.write_text(suite.read_text().replace("thresholds: {}", "thresholds: {max_error_rate: 0.05}"))
    assert main(["eval", str(suite), "-t", missing_one, "-q"]) == 0
