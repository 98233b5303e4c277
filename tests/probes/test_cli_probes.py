"""`gradeloop mutate`, `packs list|export` and `probes robustness|boundary|fairness` through typer."""
from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from gradeloop.cli import probes as probes_cli
from gradeloop.errors import InputError
from gradeloop.suite import load_suite

from .runs import ANSWER, REFUSAL, case, run

SUITE = """name: demo
split: dev
cases:
  - id: reset
    input: Generate API tests for the password reset flow. Please include lockout and expiry checks.
    tags: {intent: tests}
    graders:
      - {type: contains_all, values: [otp, expiry]}
  - id: add
    input: What is 12+7?
    reference: "19"
"""


@pytest.fixture
def cli():
    app = typer.Typer()
    probes_cli.register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_mutate_writes_parents_and_variants(cli, tmp_path):
    src = tmp_path / "demo.yaml"
    src.write_text(SUITE, encoding="utf-8")
    out = tmp_path / "mutated.yaml"
    res = cli("mutate", str(src), "--ops", "typos,casing,reorder", "--variants", "2", "--seed", "3", "--out", str(out))
    assert res.exit_code == 0, res.output
    suite = load_suite(out)
    ids = [c.id for c in suite.cases]
    assert ids[0] == "reset" and "reset~typos~1" in ids and "add~casing~1" in ids
    assert "wrote" in res.output and "typos: 4" in res.output and "reorder: 1 (3 left out" in res.output
    again = tmp_path / "again.yaml"
    cli("mutate", str(src), "--ops", "typos,casing,reorder", "--variants", "2", "--seed", "3", "--out", str(again))
    assert again.read_text() == out.read_text()


def test_mutate_bad_input_raises_input_error(cli, tmp_path):
    src = tmp_path / "demo.yaml"
    src.write_text(SUITE, encoding="utf-8")
    res = cli("mutate", str(src), "--ops", "typo", "--out", str(tmp_path / "m.yaml"))
    assert isinstance(res.exception, InputError) and res.exception.field == "ops"
    res = cli("mutate", str(src), "--ops", "typos", "--out", str(tmp_path / "m.txt"))
    assert isinstance(res.exception, InputError) and res.exception.field == "out"


def test_packs_list_and_export(cli, tmp_path):
    res = cli("packs", "list")
    assert res.exit_code == 0 and "refusal-benign" in res.output and "redteam-tools" in res.output
    listed = json.loads(cli("packs", "list", "--json").output)
    assert {p["name"] for p in listed} >= {"refusal-disallowed", "refusal-multiturn"}
    out = tmp_path / "dis.yaml"
    res = cli("packs", "export", "refusal-disallowed", "--out", str(out))
    assert res.exit_code == 0 and load_suite(out).name == "refusal-disallowed"
    res = cli("packs", "export", "nope", "--out", str(out))
    assert isinstance(res.exception, InputError)


def write_run(tmp_path, *cases) -> str:
    path = tmp_path / "run.json"
    path.write_text(json.dumps(run(*cases)), encoding="utf-8")
    return str(path)


def test_probes_robustness_and_boundary(cli, tmp_path):
    ref = write_run(tmp_path, case("p", [True]), case("p~typos~1", [False], parent="p", tags={"mutation": "typos"}),
                    case("b.p1", outputs=[REFUSAL], tags={"boundary": "benign"}),
                    case("b.p2", outputs=[ANSWER], tags={"boundary": "benign"}))
    res = cli("probes", "robustness", ref)
    assert res.exit_code == 0 and "typos" in res.output and "pass->fail" in res.output
    doc = json.loads(cli("probes", "robustness", ref, "--json").output)
    assert doc["overall"]["flip_pass_to_fail"]["mean"] == 1.0
    doc = json.loads(cli("probes", "boundary", ref, "--json").output)
    assert doc["over_refusal"]["mean"] == 0.5 and doc["consistency"]["mean"] == 0.0


def test_probes_fairness_gate_exit_codes(cli, tmp_path):
    cases = [case(f"en-{i}", [True], tags={"locale": "en"}) for i in range(10)]
    cases += [case(f"fr-{i}", [i < 4], tags={"locale": "fr"}) for i in range(10)]
    ref = write_run(tmp_path, *cases)
    res = cli("probes", "fairness", ref, "--tag", "locale")
    assert res.exit_code == 0 and "largest gap en - fr: 0.600" in res.output
    assert cli("probes", "fairness", ref, "--tag", "locale", "--max-gap", "0.7").exit_code == 0
    res = cli("probes", "fairness", ref, "--tag", "locale", "--max-gap", "0.2")
    assert res.exit_code == 1 and "FAIL" in res.output
    res = cli("probes", "fairness", ref, "--tag", "locale", "--max-gap", "0.7", "--on", "ci_high")
    assert res.exit_code == 1
