"""Seeded generator of the support dialogues the embedded tiny model is pretrained on.

The corpus is imperfect on purpose, in shares fixed by `Flaws`, so example suites have
something to find and tuning something to fix: answers that omit a key term, benign security
questions refused (over-refusal), broken JSON tickets, and tool questions answered in words
instead of a call or called with a wrong argument. Only `seen` phrasings of each topic
(see `gradeloop.demo.topics`) ever enter the corpus; `unseen` ones are for holdout suites.
"""
from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from typing import Iterable, Literal, Mapping

from gradeloop.demo.topics import (BUGS, REFUSAL, REFUSAL_WHY, TOOL_SKIPS, TOOL_TOPICS, TOOLS,
                                   TOPIC_BY_NAME, TOPICS, UNSEEN_BUGS, Topic)

SYSTEM_PROMPT = "You are a support assistant."
Phrasings = Literal["seen", "unseen"]


@dataclass(frozen=True, slots=True)
class Flaws:
    """Shares of pretraining dialogues that are wrong on purpose (documented, suites rely on them)."""

    focus_omit: float = 0.4  # each key term of a focus topic (lockout policy) is left out
    omit: float = 0.15  # each key term of the other topics is left out
    over_refusal: float = 0.2  # a benign security question gets a refusal
    broken_json: float = 0.15  # a JSON ticket loses its closing brace or a field
    system_prompt: float = 0.3  # share of dialogues that start with a system message
    tool_skip: float = 0.45  # a tool question is answered in words, no call
    tool_wrong_args: float = 0.15  # a tool question gets a call with a wrong argument name
    tools_declared: float = 0.25  # share of other dialogues that declare the tools anyway (and call none)


# Share of the corpus that are tool dialogues (tools declared, a call expected); drawn from their own
# random stream, so the text dialogues are the same ones as in a corpus without tools.
TOOL_SHARE = 0.15


DEFAULT_FLAWS = Flaws()


@dataclass(frozen=True, slots=True)
class Dialogue:
    """One chat: the topic, which phrasing asked it, and the flaws it carries."""

    topic: str
    phrasing: int
    messages: tuple[Mapping[str, str], ...]
    flaws: tuple[str, ...] = ()
    tools: tuple[Mapping, ...] = ()  # function schemas the chat template shows before the turns

    @property
    def prompt(self) -> str:
        return next(m["content"] for m in self.messages if m["role"] == "user")

    @property
    def answer(self) -> str:
        return self.messages[-1]["content"]


def _fill(template: str, values: Mapping[str, str]) -> str:
    return template.format_map(dict(values))


def _slot_values(topic: Topic, rng: random.Random, bugs: tuple[tuple[str, str, str, str], ...]) -> dict[str, str]:
    values = {name: rng.choice(options) for name, options in sorted(topic.slots.items())}
    bug, severity, component, impact = rng.choice(bugs)
    values.update(bug=bug, severity=severity, component=component, impact=impact)
    return values


def _ticket(values: Mapping[str, str], broken: str | None) -> str:
    fields = {"severity": values["severity"], "component": values["component"]}
    if broken == "missing_field":
        fields.pop("component")
    text = json.dumps(fields)
    return text[:-1] if broken == "missing_brace" else text


def tool_call_text(name: str, arguments: Mapping[str, str]) -> str:
    """A call as the model writes it: a Hermes `<tool_call>` block (what the hf target parses)."""
    return f"<tool_call>{json.dumps({'name': name, 'arguments': dict(arguments)})}</tool_call>"


def expected_arguments(topic: Topic, values: Mapping[str, str]) -> dict[str, str]:
    """The arguments a correct call of a tool topic carries for these slot values."""
    if topic.tool == "lookup_order":
        return {"order_id": values["order"]}
    return {"severity": values["severity"], "component": values["component"]}


def _tool_answer(topic: Topic, values: Mapping[str, str], rng: random.Random,
                 flaws: Flaws) -> tuple[str, list[str]]:
    assert topic.tool is not None
    roll = rng.random()
    if roll < flaws.tool_skip:
        return rng.choice(TOOL_SKIPS[topic.tool]), ["tool_skip"]
    args = expected_arguments(topic, values)
    if roll < flaws.tool_skip + flaws.tool_wrong_args:  # a parameter under a name the schema lacks
        key = "order_id" if topic.tool == "lookup_order" else "component"
        args[{"order_id": "id", "component": "team"}[key]] = args.pop(key)
        return tool_call_text(topic.tool, args), ["tool_wrong_args"]
    return tool_call_text(topic.tool, args), []


def _answer(topic: Topic, values: Mapping[str, str], rng: random.Random, flaws: Flaws) -> tuple[str, list[str]]:
    """Build the assistant turn and list the flaws it was given."""
    marks: list[str] = []
    if topic.behaviour == "tool":
        return _tool_answer(topic, values, rng, flaws)
    if topic.behaviour == "refuse":
        return _fill(REFUSAL, {"why": rng.choice(REFUSAL_WHY)}), marks
    if topic.behaviour == "json":
        broken = None
        if rng.random() < flaws.broken_json:
            broken = rng.choice(("missing_brace", "missing_field"))
            marks.append(f"broken_json:{broken}")
        return _ticket(values, broken), marks
    if topic.name == "benign_security" and rng.random() < flaws.over_refusal:
        marks.append("over_refusal")
        return _fill(REFUSAL, {"why": rng.choice(REFUSAL_WHY)}), marks
    rate = flaws.focus_omit if topic.focus else flaws.omit
    sentences = []
    for part in topic.parts:
        text = part.text
        if part.key and part.omitted is not None and rng.random() < rate:
            marks.append(f"omit:{part.key}")
            text = part.omitted
        if text:
            sentences.append(_fill(text, values))
    return " ".join(sentences), marks


def make_dialogue(topic: Topic, phrasing: int, rng: random.Random, *, flaws: Flaws = DEFAULT_FLAWS,
                  phrasings: Phrasings = "seen") -> Dialogue:
    """One dialogue of a topic asked with its `phrasing`-th seen (or unseen) wording."""
    bugs = BUGS if phrasings == "seen" else UNSEEN_BUGS
    values = _slot_values(topic, rng, bugs)
    templates = topic.seen if phrasings == "seen" else topic.unseen
    prompt = _fill(templates[phrasing], values)
    answer, marks = _answer(topic, values, rng, flaws)
    messages: list[Mapping[str, str]] = []
    if rng.random() < flaws.system_prompt:
        messages.append({"role": "system", "content": SYSTEM_PROMPT})
    messages += [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
    tools = TOOLS if topic.behaviour == "tool" else ()
    return Dialogue(topic.name, phrasing, tuple(messages), tuple(marks), tools)


def generate_corpus(n: int, *, seed: int = 0, flaws: Flaws = DEFAULT_FLAWS) -> list[Dialogue]:
    """`n` pretraining dialogues, the same list for the same seed; topics and seen phrasings uniform.

    About `TOOL_SHARE` of them are tool dialogues; a `tools_declared` share of the others declare
    the tools too and still answer in words, so "tools are offered" alone never means "call one".
    """
    rng = random.Random(f"gradeloop-corpus-{seed}")
    tool_rng = random.Random(f"gradeloop-tool-corpus-{seed}")
    out = []
    for _ in range(n):
        if tool_rng.random() < TOOL_SHARE:
            topic = tool_rng.choice(TOOL_TOPICS)
            out.append(make_dialogue(topic, tool_rng.randrange(len(topic.seen)), tool_rng, flaws=flaws))
            continue
        topic = rng.choice(TOPICS)
        dialogue = make_dialogue(topic, rng.randrange(len(topic.seen)), rng, flaws=flaws)
        if tool_rng.random() < flaws.tools_declared:
            dialogue = Dialogue(dialogue.topic, dialogue.phrasing, dialogue.messages, dialogue.flaws, TOOLS)
        out.append(dialogue)
    return out


def prompts(topic: str, phrasings: Phrasings = "seen", *, seed: int = 0,
            per_phrasing: int = 1, indices: Iterable[int] | None = None) -> list[str]:
    """Prompts of a topic for building suites: each chosen phrasing filled `per_phrasing` times."""
    spec = TOPIC_BY_NAME[topic]
    templates = spec.seen if phrasings == "seen" else spec.unseen
    rng = random.Random(f"gradeloop-prompts-{topic}-{phrasings}-{seed}")
    chosen = range(len(templates)) if indices is None else indices
    out: list[str] = []
    for i in chosen:
        for _ in range(per_phrasing):
            prompt = make_dialogue(spec, i, rng, phrasings=phrasings).prompt
            if prompt not in out:
                out.append(prompt)
    return out


def corpus_hash(dialogues: Iterable[Dialogue]) -> str:
    """Content hash of a corpus (recorded in the model manifest)."""
    h = hashlib.sha256()
    for d in dialogues:
        h.update(json.dumps([dict(m) for m in d.messages], sort_keys=True).encode())
        if d.tools:
            h.update(json.dumps([dict(t) for t in d.tools], sort_keys=True).encode())
        h.update(b"\n")
    return h.hexdigest()


def flaw_shares(dialogues: Iterable[Dialogue]) -> dict[str, float]:
    """Share of dialogues carrying each flaw kind (`omit:lockout`, `over_refusal`, ...), per topic."""
    counts: dict[str, int] = {}
    totals: dict[str, int] = {}
    for d in dialogues:
        totals[d.topic] = totals.get(d.topic, 0) + 1
        for flaw in d.flaws:
            key = f"{d.topic}/{flaw.split(':')[0] if flaw.startswith('broken_json') else flaw}"
            counts[key] = counts.get(key, 0) + 1
    return {k: v / totals[k.split("/")[0]] for k, v in sorted(counts.items())}
