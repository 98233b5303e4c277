"""The mutated suite: parents kept, variant ids and links, tags, seeding, chat inputs, files."""
from __future__ import annotations

import random

import pytest

from gradeloop.errors import InputError
from gradeloop.probes import OPERATORS, mutate
from gradeloop.suite import dump_suite, load_suite
from gradeloop.suite.model import Case, GraderSpec, Suite

GRADER = GraderSpec("contains_all", {"values": ["otp", "expiry"]})


def make_suite(*cases: Case) -> Suite:
    return Suite(name="demo", cases=cases, split="holdout", default_graders=(GraderSpec("not_refusal", {}),))


RESET = Case("reset", "Generate API tests for the password reset flow. Please include lockout and expiry checks.",
             tags={"intent": "tests"}, graders=(GRADER,), expect="answer", metadata={"owner": "qa"})
ADD = Case("add", "What is 12+7? Answer with {{ reference }} only, like 19.", reference="19")
CHAT = Case("chat", ({"role": "system", "content": "Be brief. Always answer."},
                     {"role": "user", "content": "Summarize the likely causes of a failed login workflow."},
                     {"role": "assistant", "content": "Which system?"},
                     {"role": "user", "content": "Please summarize the causes for our web login."}))


def test_parents_are_kept_and_variants_link_to_them():
    out = mutate(make_suite(RESET), ["typos", "casing"], 2, seed=1)
    ids = [c.id for c in out.cases]
    assert ids[0] == "reset"
    assert set(ids[1:]) <= {"reset~typos~1", "reset~typos~2", "reset~casing~1", "reset~casing~2"}
    assert "reset~typos~1" in ids and "reset~casing~1" in ids
    parent = out.cases[0]
    assert parent.parent is None and parent.tags == {"intent": "tests", "mutation": "none"}
    for v in out.cases[1:]:
        op = v.id.split("~")[1]
        assert v.parent == "reset" and v.tags == {"intent": "tests", "mutation": op}
        assert v.graders == (GRADER,) and v.expect == "answer" and v.reference is None
        assert v.metadata["owner"] == "qa" and v.metadata["mutation_detail"]
        assert v.input != RESET.input
    assert out.split == "holdout" and out.default_graders == make_suite().default_graders
    assert out.name == "demo-mutated" and out.version


def test_exact_variant_for_a_fixed_seed():
    out = mutate(make_suite(RESET), ["typos"], 1, seed=3)
    expected = "Generate API tests for the password reset flow. Plaese include lockout and expiry chcks."
    assert out.cases[1].input == expected
    # ... and it is exactly the operator drawing from Random("SEED:CASE:OP:N")
    assert OPERATORS["typos"](RESET.input, random.Random("3:reset:typos:1"), 1).text == expected


def test_same_seed_same_suite_other_seed_differs():
    a = mutate(make_suite(RESET, ADD), ["typos", "paraphrase"], 3, seed=5)
    b = mutate(make_suite(RESET, ADD), ["typos", "paraphrase"], 3, seed=5)
    c = mutate(make_suite(RESET, ADD), ["typos", "paraphrase"], 3, seed=6)
    assert a == b and a.version == b.version
    assert [x.input for x in a.cases] != [x.input for x in c.cases]


def test_variants_do_not_depend_on_other_cases():
    alone = mutate(make_suite(RESET), ["typos", "swap", "injection"], 3, seed=9)
    together = mutate(make_suite(ADD, RESET), ["typos", "swap", "injection"], 3, seed=9)
    assert [c for c in together.cases if c.id.startswith("reset")] == list(alone.cases)


def test_templates_and_reference_survive_every_operator():
    ops = ["typos", "casing", "whitespace", "punctuation", "reorder", "distractor", "injection", "format",
           "paraphrase", "swap"]
    out = mutate(make_suite(ADD), ops, 3, seed=2)
    assert len(out.cases) > 10
    for v in out.cases:
        assert "{{ reference }}" in v.input and "19" in v.input and v.reference == "19"


def test_chat_input_mutates_the_last_user_message_only():
    out = mutate(make_suite(CHAT), ["casing"], 2, seed=0)
    for v in out.cases[1:]:
        assert v.input[:3] == CHAT.input[:3]
        assert v.input[3]["role"] == "user" and v.input[3]["content"] != CHAT.input[3]["content"]
        assert v.input[3]["content"].lower() == CHAT.input[3]["content"].lower()


def test_unchanged_variants_are_left_out():
    out = mutate(make_suite(Case("plain", "Write a haiku about autumn leaves.")), ["swap", "reorder"], 3, seed=0)
    assert [c.id for c in out.cases] == ["plain"]


def test_swap_tags_parent_and_variants_for_fairness_strata():
    case = Case("rahul", "Ask Rahul whether he booked the flight to Mumbai.")
    out = mutate(make_suite(case), ["swap"], 3, seed=0)
    tags = {c.id: dict(c.tags) for c in out.cases}
    assert tags["rahul"] == {"mutation": "none", "swap_gender": "male", "swap_region": "south_asian"}
    assert tags["rahul~swap~1"] == {"mutation": "swap", "swap_gender": "female", "swap_region": "anglo"}
    assert tags["rahul~swap~3"]["swap_gender"] == "neutral"


def test_already_mutated_cases_are_carried_over():
    once = mutate(make_suite(RESET), ["casing"], 1, seed=0)
    twice = mutate(once, ["typos"], 1, seed=0, name="again")
    assert [c.id for c in twice.cases] == ["reset", "reset~typos~1", "reset~casing~1"]


@pytest.mark.parametrize("ops, variants, field", [
    (["typo"], 1, "ops"), ([], 1, "ops"), ("", 1, "ops"), (["casing"], 0, "variants"), (["casing"], True, "variants"),
])
def test_bad_arguments_are_input_errors(ops, variants, field):
    with pytest.raises(InputError) as err:
        mutate(make_suite(RESET), ops, variants, seed=0)
    assert err.value.field == field


def test_id_collision_is_an_input_error():
    clash = Case("reset~casing~1", "Already here")
    with pytest.raises(InputError, match="already a case id"):
        mutate(make_suite(RESET, clash), ["casing"], 1, seed=0)


def test_written_suite_loads_back_with_the_same_version(tmp_path):
    out = mutate(make_suite(RESET, ADD, CHAT), "typos,format,swap", 2, seed=4)
    path = tmp_path / "mutated.yaml"
    dump_suite(out, path)
    back = load_suite(path)
    assert back.version == out.version
    assert [(c.id, c.parent, dict(c.tags)) for c in back.cases] == [(c.id, c.parent, dict(c.tags)) for c in out.cases]
