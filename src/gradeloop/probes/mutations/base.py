"""What a mutation operator is, and the masking that keeps template and reference text intact.

An operator is a pure function `(text, rng, n) -> Mutated`: it sees the prompt with protected
spans (`{{ ... }}`, `{% ... %}`, inline code, and the case's reference) replaced by opaque
placeholders, so no operator can corrupt a template variable or the expected answer.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

# Placeholders use Unicode private-use characters around an index: letters-only regexes never
# match them, casing leaves them alone, and they cannot occur in ordinary prompt text.
_OPEN, _CLOSE = "\ue000", "\ue001"
PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_PROTECTED = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|```.*?```|`[^`\n]+`", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Mutated:
    """An operator's result: the new text, a short note of what changed, and tags to add."""

    text: str
    detail: str
    tags: Mapping[str, str] = field(default_factory=dict)


Operator = Callable[[str, random.Random, int], Mutated]

# A sentence ends at . ! ? followed by whitespace; the separator is captured so spacing survives.
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])(\s+)(?=\S)")


def decap(s: str) -> str:
    """Lower-case a first word that is an ordinary capitalised word (not I, JSON or iPhone)."""
    word = re.match(r"\S+", s)
    if not word:
        return s
    w = word.group(0)
    if w == "I" or w.startswith("I'") or not w[0].isupper() or any(c.isupper() for c in w[1:]):
        return s
    return s[0].lower() + s[1:]


@dataclass(frozen=True, slots=True)
class Masked:
    """Text with protected spans swapped for placeholders, and the spans to put back."""

    text: str
    spans: tuple[str, ...]

    def unmask(self, text: str) -> str:
        """Restore the protected spans; each placeholder must survive exactly once."""
        found = [int(m) for m in PLACEHOLDER.findall(text)]
        if sorted(found) != list(range(len(self.spans))):
            raise RuntimeError(f"mutation lost or duplicated a protected span: {found!r}")
        return PLACEHOLDER.sub(lambda m: self.spans[int(m.group(1))], text)


def mask(text: str, reference: str | None = None) -> Masked:
    """Replace template tags, code spans and occurrences of the reference with placeholders."""
    patterns = [_PROTECTED.pattern]
    if reference and reference.strip():
        # Word-bounded, so a short reference such as "a" or "19" never masks part of a word.
        patterns.insert(0, rf"(?<!\w){re.escape(reference.strip())}(?!\w)")
    regex = re.compile("|".join(patterns), re.DOTALL)
    spans: list[str] = []

    def repl(m: re.Match[str]) -> str:
        spans.append(m.group(0))
        return f"{_OPEN}{len(spans) - 1}{_CLOSE}"

    return Masked(regex.sub(repl, text), tuple(spans))


def is_placeholder(token: str) -> bool:
    """True when a token contains a protected span, which operators must leave untouched."""
    return _OPEN in token
