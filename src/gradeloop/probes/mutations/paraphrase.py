"""Template-based paraphrases: the same request in other words, without a model.

Rules rewrite one sentence at a time: polite forms ("Please X" -> "Could you X?"), imperative
verb synonyms ("Generate" -> "Write"/"Create"), question openers ("How do I" -> "How can I"),
imperative-to-request wrappers, and question frames ("Quick question: ..."). Rewrites are shallow on purpose: meaning must not change.
"""
from __future__ import annotations

import random
import re
from typing import Callable

from gradeloop.probes.mutations.base import SENTENCE_SPLIT, Mutated, decap

VERB_SYNONYMS: dict[str, tuple[str, ...]] = {
    "generate": ("write", "create", "produce"),
    "write": ("create", "draft", "produce"),
    "create": ("make", "build", "generate"),
    "list": ("enumerate", "name"),
    "explain": ("describe", "clarify"),
    "describe": ("explain", "outline"),
    "summarize": ("give a summary of", "sum up"),
    "summarise": ("give a summary of", "sum up"),
    "find": ("identify", "locate"),
    "fix": ("repair", "correct"),
    "return": ("output", "give back"),
    "check": ("verify", "examine"),
    "make": ("create", "produce"),
    "suggest": ("propose", "recommend"),
    "ask": ("check with",),
    "give me": ("provide", "show me"),
    "tell me": ("let me know",),
    "show me": ("give me", "provide"),
}

OPENERS: dict[str, tuple[str, ...]] = {
    "what is": ("what's",),
    "what's": ("what is",),
    "why is": ("what makes",),
    "how does": ("in what way does",),
    "how do i": ("how can I", "what is the way to"),
    "how can i": ("how do I", "what is the best way to"),
    "can you": ("could you", "would you"),
    "could you": ("can you", "would you"),
    "why does": ("what makes",),
    "is it possible to": ("can I",),
}

_POLITE = re.compile(r"^please,?\s+(?P<rest>.+?)(?P<end>[.!]?)$", re.IGNORECASE | re.DOTALL)
_POLITE_FORMS = ("Could you {x}?", "Kindly {x}.", "I need you to {x}.", "{X}, please.")
_REQUEST_FORMS = ("Could you {x}?", "Please {x}.", "I'd like you to {x}.", "Your task: {x}.")
_QUESTION_FRAMES = ("Quick question: {x}", "I was wondering: {x}", "Here is my question: {x}")


def _match_case(src: str, new: str) -> str:
    return new[:1].upper() + new[1:] if src[:1].isupper() else new


def _polite(sentence: str, rng: random.Random) -> str | None:
    m = _POLITE.match(sentence)
    if not m:
        return None
    rest = m.group("rest").strip()
    form = rng.choice(_POLITE_FORMS)
    return form.format(x=rest, X=rest[:1].upper() + rest[1:])


def _lead_phrase(sentence: str, table: dict[str, tuple[str, ...]], rng: random.Random) -> str | None:
    """Replace the sentence's opening phrase by a synonym from `table` (longest match first)."""
    low = sentence.lower()
    for phrase in sorted(table, key=len, reverse=True):
        if low.startswith(phrase) and (len(low) == len(phrase) or not low[len(phrase)].isalnum()):
            new = rng.choice(table[phrase])
            return _match_case(sentence, new) + sentence[len(phrase):]
    return None


def _request(sentence: str, rng: random.Random) -> str | None:
    """Wrap an imperative sentence (it starts with a known verb) into a request form."""
    first = sentence.split(maxsplit=1)[0].lower() if sentence.strip() else ""
    if first not in VERB_SYNONYMS or sentence.rstrip().endswith("?"):
        return None
    body = decap(sentence.rstrip().rstrip(".!"))
    return rng.choice(_REQUEST_FORMS).format(x=body)


def _frame(sentence: str, rng: random.Random) -> str | None:
    """Frame a direct question ("Is X safe?" -> "Quick question: is X safe?")."""
    stripped = sentence.strip()
    if not stripped.endswith("?") or len(stripped.split()) < 3:
        return None
    return sentence[: len(sentence) - len(sentence.lstrip())] + rng.choice(_QUESTION_FRAMES).format(x=decap(stripped))


_RULES: tuple[tuple[str, Callable[[str, random.Random], str | None]], ...] = (
    ("polite", _polite),
    ("verb", lambda s, r: _lead_phrase(s, VERB_SYNONYMS, r)),
    ("opener", lambda s, r: _lead_phrase(s, OPENERS, r)),
    ("request", _request),
    ("frame", _frame),
)


def paraphrase(text: str, rng: random.Random, n: int) -> Mutated:
    """Reword one or two sentences with template rules; no rule applies -> text unchanged.

    Example: "Generate API tests for password reset flow" -> "Write API tests for password reset flow";
    "Please list the steps." -> "Could you list the steps?".
    """
    parts = SENTENCE_SPLIT.split(text)
    candidates = [(i, name) for i in range(0, len(parts), 2) for name, rule in _RULES
                  if rule(parts[i], random.Random(0)) is not None]
    if not candidates:
        return Mutated(text, "no rule applies")
    picked: dict[int, str] = {}
    for i, name in rng.sample(candidates, len(candidates)):
        if i not in picked and len(picked) < 2:
            picked[i] = name
    rules = dict(_RULES)
    notes = []
    for i, name in sorted(picked.items()):
        new = rules[name](parts[i], rng)
        if new is None:  # cannot happen: the candidate scan proved the rule applies
            continue
        notes.append(f"{name}: {parts[i]!r}->{new!r}")
        parts[i] = new
    return Mutated("".join(parts), "; ".join(notes))
