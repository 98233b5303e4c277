"""InstructLab qna.yaml: seed examples become cases and registered training rows with provenance."""
from __future__ import annotations

import json
from pathlib import Path

from gradeloop.cli import main
from gradeloop.data.registry import Registry
from gradeloop.importers.instructlab import import_instructlab
from tests.importers.helpers import verdict

DATA = Path(__file__).parent / "data" / "instructlab"


def test_knowledge_v3_questions_become_cases_and_training_rows():
    result = import_instructlab(DATA / "knowledge_qna.yaml")
    suite = result.suite
    # the fixture passes instructlab-schema 0.4.2's v3 checks (5 seed examples x 3 questions)
    assert len(suite.cases) == 15 and [c.id for c in suite.cases[:3]] == ["astronomy-1", "astronomy-2", "astronomy-3"]
    first = suite.cases[0]
    assert first.input == "Which planet does Phobos orbit?" and first.reference == "Phobos orbits Mars."
    assert "Phobos is the larger" in first.metadata["context"]
    assert verdict(suite, first, "Phobos orbits Mars.") is True and verdict(suite, first, "No idea.") is False
    row = result.training[0]
    assert row["messages"][1] == {"role": "assistant", "content": "Phobos orbits Mars."}
    assert row["provenance"]["document"]["commit"] == "0123456789abcdef" and row["provenance"]["line"] == 9


def test_skill_v2_context_goes_before_the_question():
    suite = import_instructlab(DATA / "skill_qna.yaml", judge="openai:judge@http://localhost:1/v1").suite
    assert suite.cases[1].input == "The meeting moved to Friday at 3 pm.\n\nSummarise the context in five words."
    assert suite.cases[0].graders[0].type == "llm_judge"


def test_cli_writes_and_registers_with_lineage(tmp_path):
    out, train, reg = tmp_path / "s.yaml", tmp_path / "train.jsonl", tmp_path / "reg.db"
    assert main(["import", "instructlab", str(DATA / "knowledge_qna.yaml"), "--out", str(out), "--train-out",
                 str(train), "--registry", str(reg)]) == 0
    assert len(train.read_text().splitlines()) == 15 and json.loads(train.read_text().splitlines()[0])["provenance"]
    with Registry(reg) as r:
        kinds = {rec.kind for rec in r.list()}
        trained = next(rec for rec in r.list() if rec.name == "train")
        assert kinds == {"suite", "train"} and trained.parents[0][1] == "seed_examples"
        assert trained.meta["rows"] == 15


def test_unsupported_version_is_one_input_error(tmp_path, capsys):
    bad = tmp_path / "qna.yaml"
    bad.write_text("version: 1\nseed_examples: []\n")
    assert main(["import", "instructlab", str(bad), "--out", str(tmp_path / "s.yaml")]) == 2
    assert f"{bad}:1: version: unsupported" in capsys.readouterr().err
