"""The peer corpus: edge-case (output, expected verdict) pairs per grader, from the peers' documented semantics.

tests/graders/data/peer_corpus.jsonl holds one pair a line: the grader spec, the output, the
verdict (and score) the peer documents (promptfoo assertions, Inspect scorers, OpenAI graders),
and, where gradeloop deliberately differs, the key of that difference in graders/differences.py
(listed by `gradeloop graders`) with the peer's own verdict.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradeloop.graders import build_grader, safe_grade
from gradeloop.graders.differences import DIFFERENCES
from gradeloop.suite.model import Case, GraderSpec

CORPUS = Path(__file__).parent / "data" / "peer_corpus.jsonl"
ROWS = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_corpus_size_and_coverage():
    assert len(ROWS) >= 150
    peers = {r["peer"].split(":")[0] for r in ROWS}
    assert {"promptfoo", "inspect", "openai"} <= peers
    assert len({r["grader"]["type"] for r in ROWS}) >= 14


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['id']}-{r['grader']['type']}" for r in ROWS])
def test_pair_gives_the_documented_verdict(row):
    c = row.get("case", {})
    case = Case(f"row{row['id']}", "q", reference=c.get("reference"), metadata=c.get("metadata", {}))
    params = {k: v for k, v in row["grader"].items() if k != "type"}
    grader = build_grader(GraderSpec(row["grader"]["type"], params, file=str(CORPUS), line=row["id"]), case)
    g = safe_grade(grader, case, row["output"])
    assert g.error is None, g.error
    assert g.passed is row["passed"], g.reason
    if "score" in row:
        assert g.score == pytest.approx(row["score"], abs=1e-6), g.reason
    if "differs" in row:  # a deliberate difference: documented, and really a different verdict
        assert row["differs"] in DIFFERENCES and row["peer_passed"] is not row["passed"]
