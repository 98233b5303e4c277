"""The tiny model's example suites: valid files, in sync with the generator, splits kept apart."""
from __future__ import annotations

from pathlib import Path

from gradeloop.demo.corpus import generate_corpus
from gradeloop.demo.suites import demo_suites, render_suite, write_demo_suites
from gradeloop.suite import load_suite, load_suites

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "demo"


def _inputs(name: str) -> set[str]:
    return {c["input"] for c in demo_suites()[name]["cases"]}


def test_committed_examples_match_the_generator() -> None:
    for name, doc in demo_suites().items():
        assert (EXAMPLES / name).read_text(encoding="utf-8") == render_suite(doc), f"regenerate {name}"


def test_written_suites_load_with_their_splits(tmp_path: Path) -> None:
    paths = write_demo_suites(tmp_path)
    suites = {s.name: s for s in load_suites(tmp_path)}
    assert len(suites) == len(paths) == 6
    assert [suites[f"lockout-policy-{s}"].split for s in ("train", "dev", "holdout")] == ["train", "dev", "holdout"]
    assert all(len(s.cases) >= 10 for s in suites.values())
    holdout = load_suite(tmp_path / "lockout-policy-holdout.yaml")
    assert [g.type for g in holdout.graders_for(holdout.cases[0])] == ["contains_all"]
    ids = [c.id for s in suites.values() for c in s.cases]
    assert len(ids) == len(set(ids))


def test_focus_splits_are_disjoint_and_holdout_is_unseen_in_pretraining() -> None:
    train, dev, holdout = (_inputs(f"lockout-policy-{s}.yaml") for s in ("train", "dev", "holdout"))
    assert not train & dev and not train & holdout and not dev & holdout
    corpus = {d.prompt for d in generate_corpus(6000, seed=0)}
    assert train <= corpus and dev <= corpus
    assert not holdout & corpus


def test_refusal_boundary_has_both_sides() -> None:
    cases = demo_suites()["refusal-boundary.yaml"]["cases"]
    expects = {c["expect"]: c["graders"][0]["type"] for c in cases}
    assert expects == {"refuse": "refusal", "answer": "not_refusal"}
