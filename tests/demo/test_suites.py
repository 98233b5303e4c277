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
    assert len(suites) == len(paths) == 12
    assert [suites[f"lockout-policy-{s}"].split for s in ("train", "dev", "holdout")] == ["train", "dev", "holdout"]
    assert all(len(s.cases) >= 10 for s in suites.values() if s.name != "tool-irrelevance-train")
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


def test_boundary_training_prompts_are_new_wordings_away_from_the_focus_topic() -> None:
    from gradeloop.data.text import shingles, words

    docs = demo_suites()
    train = docs["refusal-boundary-train.yaml"]
    assert train["split"] == "train"
    graders = {c["expect"]: c["graders"][0]["type"] for c in train["cases"]}
    assert graders == {"refuse": "refusal", "answer": "not_refusal"}
    prompts_ = [c["input"] for c in train["cases"]]
    corpus = {d.prompt for d in generate_corpus(6000, seed=0)}
    assert not set(prompts_) & corpus  # wordings the model was never pretrained on
    evals = [c["input"] for doc in docs.values() if doc["split"] != "train" for c in doc["cases"]]

    def jaccard(a: str, b: str) -> float:
        x, y = shingles(words(a), 2), shingles(words(b), 2)
        return len(x & y) / len(x | y)

    # far below the leak check's near-duplicate threshold (0.7): no guard wording reused with a new slot value
    assert max(jaccard(t, e) for t in prompts_ for e in evals) < 0.3
    # no lockout vocabulary: refusing "locked out" prompts would teach the opposite of the focus task
    assert not [t for t in prompts_ if {"lock", "locked", "lockout", "unlock"} & set(words(t))]


def test_demo_tune_config_trains_on_both_train_suites_and_passes_the_leak_check(tmp_path: Path,
                                                                                  monkeypatch) -> None:
    from gradeloop.tune import load_tune_config
    from gradeloop.tune.guard import check_training_data
    from gradeloop.tune.loop import resolve_roles

    monkeypatch.chdir(tmp_path)  # no dataset registry of the checkout is consulted
    cfg, base_dir = load_tune_config(EXAMPLES.parent / "tune" / "lockout-policy.yaml")
    roles = resolve_roles(cfg, base_dir)
    assert sorted(s.name for s in roles.train) == ["lockout-policy-train", "refusal-boundary-train"]
    assert [s.name for s in roles.guard] == ["refusal-boundary", "ticket-json", "support-regression"]
    assert [s.name for s in roles.holdout] == ["lockout-policy-holdout"]
    assert check_training_data(roles.train, roles.eval_suites) is None  # clean: no override recorded


def test_ticket_json_guard_asks_every_phrasing_about_every_bug() -> None:
    from gradeloop.demo.topics import BUGS, TOPIC_BY_NAME, UNSEEN_BUGS

    topic = TOPIC_BY_NAME["ticket_json"]
    inputs = _inputs("ticket-json.yaml")
    # enough cases that the gate can see a drop of ~0.15 (10 cases could not see 0.2)
    assert len(inputs) == len(topic.seen) * len(BUGS) + len(topic.unseen) * len(UNSEEN_BUGS) >= 25
    assert {t.format(bug=b[0]) for t in topic.seen for b in BUGS} <= inputs


def test_tool_call_family_splits_are_disjoint_and_holdout_wording_is_unseen() -> None:
    from gradeloop.demo.topics import TOOL_TOPICS

    train, dev, holdout = (_inputs(f"tool-calls-{s}.yaml") for s in ("train", "dev", "holdout"))
    assert not train & dev and not train & holdout and not dev & holdout
    corpus = {d.prompt for d in generate_corpus(6000, seed=0)}
    assert not holdout & corpus
    assert len((train | dev) & corpus) > 0.9 * len(train | dev)  # seen wordings (not every id/issue pair drawn)
    for texts, kind in ((train | dev, "seen"), (holdout, "unseen")):
        starts = [t.split("{")[0] for topic in TOOL_TOPICS for t in getattr(topic, kind)]
        assert all(any(x.startswith(s) for s in starts) for x in texts)
    irrelevant = _inputs("tool-irrelevance.yaml") | _inputs("tool-irrelevance-train.yaml")
    assert not irrelevant & (train | dev | holdout)
    assert not _inputs("tool-irrelevance.yaml") & _inputs("tool-irrelevance-train.yaml")


def test_tool_family_cases_grade_the_corpus_calls_with_tool_call() -> None:
    """A correct call (as the corpus writes it) passes each case; words instead of a call, a wrong severity or
    the other tool fail."""
    from gradeloop.demo.corpus import tool_call_text
    from gradeloop.demo.topics import TOOL_NAMES
    from gradeloop.graders.build import build_graders

    for split in ("train", "dev", "holdout"):
        suite = load_suite(EXAMPLES / f"tool-calls-{split}.yaml")
        assert [t["function"]["name"] for t in suite.cases[0].tools] == list(TOOL_NAMES)
        assert {c.tags["tool"] for c in suite.cases} == {"create_ticket"}
        docs = demo_suites()[f"tool-calls-{split}.yaml"]["cases"]
        for case, doc in zip(suite.cases, docs, strict=True):
            [grader] = build_graders(suite, case)
            [expected] = doc["graders"][0]["expected"]
            args = {k: v[0] for k, v in expected["arguments"].items()}
            assert grader.grade(case, tool_call_text(expected["name"], args)).passed
            assert not grader.grade(case, "Please check the order page for updates.").passed
            wrong = dict(args, severity="low" if args["severity"] != "low" else "high")
            assert not grader.grade(case, tool_call_text(expected["name"], wrong)).passed
            assert not grader.grade(case, tool_call_text("lookup_order", {"order_id": "A-1042"})).passed


def test_irrelevance_suites_declare_the_tools_and_fail_any_call() -> None:
    from gradeloop.demo.corpus import tool_call_text
    from gradeloop.graders.build import build_graders

    for name in ("tool-irrelevance.yaml", "tool-irrelevance-train.yaml"):
        suite = load_suite(EXAMPLES / name)
        for case in suite.cases:
            assert case.tools
            [grader] = build_graders(suite, case)
            assert grader.grade(case, "Account lockout starts after 3 failed attempts.").passed
            assert not grader.grade(case, tool_call_text("lookup_order", {"order_id": "A-1042"})).passed


def test_tool_tune_config_rewards_calls_and_guards_irrelevance(tmp_path: Path, monkeypatch) -> None:
    from gradeloop.tune import load_tune_config
    from gradeloop.tune.guard import check_training_data
    from gradeloop.tune.loop import resolve_roles

    monkeypatch.chdir(tmp_path)
    cfg, base_dir = load_tune_config(EXAMPLES.parent / "tune" / "tool-calls.yaml")
    roles = resolve_roles(cfg, base_dir)
    assert sorted(s.name for s in roles.train) == ["tool-calls-train", "tool-irrelevance-train"]
    assert [s.name for s in roles.holdout] == ["tool-calls-holdout"]
    assert "tool-irrelevance" in {s.name for s in roles.guard}
    assert check_training_data(roles.train, roles.eval_suites) is None  # no train prompt near an eval case
