"""The pretraining corpus: seeded, flawed in the documented shares, seen/unseen phrasings kept apart."""
from __future__ import annotations

import json
import re

from gradeloop.demo.corpus import (DEFAULT_FLAWS, Flaws, corpus_hash, flaw_shares, generate_corpus, make_dialogue,
                                   prompts)
from gradeloop.demo.topics import BUGS, TOOL_NAMES, TOOL_TOPICS, TOPIC_BY_NAME, TOPICS


def test_same_seed_same_corpus_other_seed_other_corpus() -> None:
    assert corpus_hash(generate_corpus(300, seed=1)) == corpus_hash(generate_corpus(300, seed=1))
    assert corpus_hash(generate_corpus(300, seed=1)) != corpus_hash(generate_corpus(300, seed=2))


def test_flaw_shares_match_the_documented_rates() -> None:
    shares = flaw_shares(generate_corpus(6000, seed=0))
    assert abs(shares["lockout_policy/omit:lockout"] - DEFAULT_FLAWS.focus_omit) < 0.06
    assert abs(shares["lockout_policy/omit:unlock"] - DEFAULT_FLAWS.focus_omit) < 0.06
    assert abs(shares["benign_security/over_refusal"] - DEFAULT_FLAWS.over_refusal) < 0.06
    assert abs(shares["ticket_json/broken_json"] - DEFAULT_FLAWS.broken_json) < 0.06
    assert abs(shares["login_failure/omit:logs"] - DEFAULT_FLAWS.omit) < 0.06


def test_flaws_are_visible_in_the_text() -> None:
    for d in generate_corpus(3000, seed=3):
        answer = d.answer.lower()
        if d.topic == "lockout_policy":
            assert ("lockout" in answer) == ("omit:lockout" not in d.flaws)
            assert ("unlock" in answer) == ("omit:unlock" not in d.flaws)
        if d.topic == "ticket_json":
            try:
                ok = {"severity", "component"} <= json.loads(d.answer).keys()
            except ValueError:
                ok = False
            assert ok == (not d.flaws)
        if d.topic == "unsafe" or "over_refusal" in d.flaws:
            assert d.answer.startswith("I can't help with that.")
        elif d.topic == "benign_security":
            assert "can't" not in answer


def test_a_flawless_corpus_has_no_flaws() -> None:
    clean = Flaws(focus_omit=0, omit=0, over_refusal=0, broken_json=0, tool_skip=0, tool_wrong_args=0)
    assert not any(d.flaws for d in generate_corpus(1000, seed=0, flaws=clean))


def test_unseen_phrasings_never_enter_the_corpus() -> None:
    corpus_prompts = {d.prompt for d in generate_corpus(6000, seed=0)}
    for topic in (*TOPICS, *TOOL_TOPICS):
        assert topic.unseen and not set(topic.seen) & set(topic.unseen)
        for prompt in prompts(topic.name, "unseen", per_phrasing=4):
            assert prompt not in corpus_prompts


def test_prompts_fill_slots_and_are_unique() -> None:
    seen = prompts("lockout_policy", "seen", per_phrasing=3)
    assert len(seen) == len(set(seen)) and not any("{" in p for p in seen)
    assert prompts("lockout_policy", "unseen", indices=[0]) == prompts("lockout_policy", "unseen", indices=[0])


def test_dialogue_slots_agree_between_prompt_and_answer() -> None:
    import random

    rng = random.Random(0)
    for _ in range(20):
        d = make_dialogue(TOPIC_BY_NAME["bug_triage"], 0, rng)
        bug = d.prompt.removeprefix("Triage this bug: ")
        assert d.answer.startswith(f"Summary: {bug}.")


def test_tool_dialogues_call_in_the_hermes_form_with_the_documented_flaws() -> None:
    from gradeloop.demo.corpus import TOOL_SHARE
    from gradeloop.tools.text import text_calls

    corpus = generate_corpus(6000, seed=0)
    tool = [d for d in corpus if d.topic in {t.name for t in TOOL_TOPICS}]
    assert abs(len(tool) / len(corpus) - TOOL_SHARE) < 0.02
    shares = flaw_shares(corpus)
    assert abs(shares["order_status/tool_skip"] - DEFAULT_FLAWS.tool_skip) < 0.06
    assert abs(shares["order_status/tool_wrong_args"] - DEFAULT_FLAWS.tool_wrong_args) < 0.06
    for d in tool:
        assert [t["function"]["name"] for t in d.tools] == list(TOOL_NAMES)
        calls = text_calls(d.answer)
        if "tool_skip" in d.flaws:
            assert not calls
            continue
        [call] = calls
        topic = TOPIC_BY_NAME[d.topic]
        assert call.name == topic.tool and call.error is None
        if "tool_wrong_args" in d.flaws:  # the right value under a parameter name the schema lacks
            assert set(call.arguments) == {"lookup_order": {"id"}, "create_ticket": {"severity", "team"}}[call.name]
            continue
        if topic.tool == "lookup_order":  # the id the question names
            assert call.arguments == {"order_id": re.search(r"A-\d{4}", d.prompt).group(0)}
        else:  # the bug's severity and component, as the JSON tickets classify it
            [(severity, component)] = [(b[1], b[2]) for b in BUGS if d.prompt.endswith(b[0])]
            assert call.arguments == {"severity": severity, "component": component}

def test_some_text_dialogues_declare_the_tools_and_never_call_one() -> None:
    from gradeloop.tools.text import text_calls

    text = [d for d in generate_corpus(3000, seed=1) if d.topic not in {t.name for t in TOOL_TOPICS}]
    declared = [d for d in text if d.tools]
    assert abs(len(declared) / len(text) - DEFAULT_FLAWS.tools_declared) < 0.04
    assert not any(text_calls(d.answer) for d in text)


def test_tools_leave_the_text_dialogues_as_they_were() -> None:
    """Tool dialogues come from their own random stream: the text dialogues keep their order and content."""
    no_tools = Flaws(tools_declared=0)
    corpus = [d for d in generate_corpus(500, seed=0, flaws=no_tools) if not d.tools]
    import random

    from gradeloop.demo.corpus import make_dialogue

    rng = random.Random("gradeloop-corpus-0")
    for d in corpus:
        topic = rng.choice(TOPICS)
        assert make_dialogue(topic, rng.randrange(len(topic.seen)), rng, flaws=no_tools).messages == d.messages

