"""Self-consistency: how many of a case's samples give the same answer.

Answers are compared after normalisation (casefold, punctuation stripped, whitespace
collapsed; when at least half of the case's answers contain a number, the case is numeric and
each answer that has one is reduced to its final number), or by a caller-supplied
equivalence such as a grader's own notion of "same answer".
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Callable, Sequence

Equivalence = Callable[[str, str], bool]

_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?")


def normalize_text(text: str) -> str:
    """Casefolded text with punctuation removed and whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    return " ".join(kept.split())


def final_number(text: str) -> str | None:
    """The last number in the text in canonical form ("1,000.0" and "1000" agree), or None."""
    found = _NUMBER.findall(text)
    if not found:
        return None
    value = float(found[-1].replace(",", ""))
    return repr(int(value)) if value.is_integer() and abs(value) < 2**63 else repr(value)


def normalize_answers(answers: Sequence[str]) -> list[str]:
    """Comparable keys for a case's answers: final numbers in a numeric case, else normalised text."""
    numbers = [final_number(a) for a in answers]
    numeric = 2 * sum(n is not None for n in numbers) >= len(answers)
    return [n if numeric and n is not None else normalize_text(a) for a, n in zip(answers, numbers)]


def _clusters(answers: Sequence[str], same: Equivalence) -> list[int]:
    """Cluster label per answer: each joins the first earlier cluster whose representative it matches."""
    reps: list[str] = []
    labels: list[int] = []
    for answer in answers:
        for k, rep in enumerate(reps):
            if same(rep, answer):
                labels.append(k)
                break
        else:
            reps.append(answer)
            labels.append(len(reps) - 1)
    return labels


def agreement(answers: Sequence[str], equivalence: Equivalence | None = None) -> list[float]:
    """Per answer, the share of the case's answers equivalent to it (the majority share for the majority)."""
    if not answers:
        return []
    labels = _clusters(answers, equivalence) if equivalence else normalize_answers(answers)
    counts = Counter(labels)
    return [counts[label] / len(answers) for label in labels]
