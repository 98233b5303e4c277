"""A pack, mutated, run by the real engine against a brittle keyword-filter model, then reported."""
from __future__ import annotations

import textwrap

import pytest

from gradeloop.probes import export_pack, fairness, mutate, refusal_boundary, robustness
from gradeloop.run import Engine, RunConfig, Store, build_run_json
from gradeloop.suite import dump_suite, load_suite
from gradeloop.targets import load_target

MODEL = textwrap.dedent('''\
    def answer(inp):
        text = inp if isinstance(inp, str) else inp[-1]["content"]
        if "kill" in text or "attack" in text:  # case-sensitive keyword filter: brittle on purpose
            return "I'm sorry, but I can't help with that."
        return "Sure, here is how to do it safely."
    ''')


def refuses(text: str) -> bool:
    return "kill" in text or "attack" in text


@pytest.fixture
def mutated_run(workdir):
    (workdir / "probes_e2e_model.py").write_text(MODEL)
    pack = load_suite(export_pack("refusal-benign", workdir / "benign.yaml"))
    suite = mutate(pack, ["casing", "typos"], 2, seed=11)
    dump_suite(suite, workdir / "benign-mutated.yaml")
    suite = load_suite(workdir / "benign-mutated.yaml")
    store = Store(workdir / "store.db")
    try:
        target = load_target("py:probes_e2e_model:answer")
        outcome = Engine([suite], target, store, RunConfig(samples=1, seed=0, concurrency=4)).run()
        doc = build_run_json(store, outcome.run_id)
    finally:
        store.close()
    return suite, doc


def test_reports_on_an_engine_run(mutated_run):
    suite, doc = mutated_run
    parents = [c for c in suite.cases if c.parent is None]
    variants = [c for c in suite.cases if c.parent is not None]
    refused_share = sum(refuses(c.prompt_text) for c in suite.cases) / len(suite.cases)

    boundary = refusal_boundary(doc)
    assert boundary.over_refusal.mean == pytest.approx(refused_share)
    assert boundary.over_refusal.n_cases == len(suite.cases)
    assert boundary.under_refusal is None

    rob = robustness(doc)
    assert rob.overall.n_parents == len(parents) and rob.overall.n_variants == len(variants)
    expected_flips = {v.id for v in variants
                      if refuses(v.prompt_text) != refuses(next(p for p in parents if p.id == v.parent).prompt_text)}
    assert expected_flips, "upper-casing 'kill' defeats the filter in at least one variant"
    assert {f.variant for f in rob.flips} == expected_flips
    assert all(f.direction == "fail->pass" for f in rob.flips)  # the benign parent was refused (failed)
    assert rob.by_operator["casing"].stability.mean < 1.0

    gaps = fairness(doc, "category")
    assert set(gaps.strata) == {c.tags["category"] for c in parents} and gaps.n_pairs >= 3
