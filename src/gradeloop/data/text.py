"""Text normalisation and word n-grams shared by contamination checks and synthetic-data dedupe.

Both sides of every comparison go through the same `words()`, so casing, whitespace and
punctuation never hide a duplicate.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Sequence

from gradeloop.suite.model import Case

# Punctuation and symbols (everything that is neither a letter/digit nor whitespace) and `_`
# become spaces, so "12+7" stays two words rather than turning into "127".
_NON_WORD = re.compile(r"[\W_]+")


def words(text: str) -> list[str]:
    """Casefolded word tokens with punctuation removed."""
    return _NON_WORD.sub(" ", text.casefold()).split()


def normalize(text: str) -> str:
    """Casefold, strip punctuation, collapse whitespace: the key of an exact duplicate."""
    return " ".join(words(text))


def shingles(tokens: Sequence[str], k: int) -> set[str]:
    """The set of word k-grams (a text shorter than k words is one shingle)."""
    if len(tokens) <= k:
        return {" ".join(tokens)} if tokens else set()
    if k == 1:
        return set(tokens)
    if k == 2:
        return {f"{a} {b}" for a, b in zip(tokens, tokens[1:])}
    return {" ".join(tokens[i:i + k]) for i in range(len(tokens) - k + 1)}


def ngram_hashes(tokens: Sequence[str], n: int) -> set[int]:
    """Hashes of the word n-grams (empty when the text is shorter than n words).

    Python's tuple hash is salted per interpreter; worker processes are forked from the process
    that built the index, so both sides hash alike.
    """
    t = tuple(tokens)
    return {hash(t[i:i + n]) for i in range(len(t) - n + 1)}


def message_text(messages: Iterable[Any]) -> str:
    """The contents of chat messages, system prompts left out (they are shared boilerplate)."""
    parts = []
    for message in messages:
        if isinstance(message, Mapping):
            if message.get("role") == "system":
                continue
            content = message.get("content")
            if isinstance(content, str):
                parts.append(content)
    return "\n".join(parts)


def case_text(case: Case) -> str:
    """A case's input as one text: the string, or every non-system message of a chat."""
    return case.input if isinstance(case.input, str) else message_text(case.input)
