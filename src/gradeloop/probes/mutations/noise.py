"""Surface-noise operators: typos, casing, whitespace and punctuation.

A model that understood the request should not change its answer because of them; these are
the perturbations of CheckList's robustness tests and HELM's typo/whitespace perturbations.
"""
from __future__ import annotations

import random
import re

from gradeloop.probes.mutations.base import Mutated

# ---------------------------------------------------------------------------------------- typos

# QWERTY neighbours of each key: the substitutions a hurried typist makes.
_ADJACENT = {
    "a": "qwsz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc", "g": "ftyhbv",
    "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop", "m": "njk", "n": "bhjm",
    "o": "iklp", "p": "ol", "q": "wa", "r": "edft", "s": "awedxz", "t": "rfgy", "u": "yhji",
    "v": "cfgb", "w": "qase", "x": "zsdc", "y": "tghu", "z": "asx",
}
_WORD = re.compile(r"[A-Za-z]{4,}")


def _typo(word: str, rng: random.Random) -> tuple[str, str]:
    """One keyboard slip in a word: an adjacent-key substitution, a deletion or a transposition."""
    kind = rng.choice(("substitute", "delete", "transpose"))
    if kind == "transpose":
        i = rng.randrange(1, len(word) - 1)
        if word[i] != word[i + 1]:
            return word[:i] + word[i + 1] + word[i] + word[i + 2:], kind
        kind = "substitute"
    if kind == "delete":
        i = rng.randrange(1, len(word))
        return word[:i] + word[i + 1:], kind
    i = rng.randrange(len(word))
    new = rng.choice(_ADJACENT[word[i].lower()])
    new = new.upper() if word[i].isupper() else new
    return word[:i] + new + word[i + 1:], kind


def typos(text: str, rng: random.Random, n: int) -> Mutated:
    """Keyboard typos in a few words of four letters or more (about one in four, at most three).

    Example: "Generate API tests for password reset flow" -> "Generate API tests for pasword reset flow".
    """
    words = list(_WORD.finditer(text))
    if not words:
        return Mutated(text, "no word long enough")
    k = min(len(words), max(1, min(3, len(words) // 4)))
    chosen = sorted(rng.sample(range(len(words)), k), reverse=True)
    notes = []
    for idx in chosen:  # right to left, so earlier offsets stay valid
        m = words[idx]
        new, kind = _typo(m.group(0), rng)
        text = text[:m.start()] + new + text[m.end():]
        notes.append(f"{kind} {m.group(0)!r}->{new!r}")
    return Mutated(text, "; ".join(reversed(notes)))


# --------------------------------------------------------------------------------------- casing

_CASE_WORD = re.compile(r"[^\W\d_]+")


def casing(text: str, rng: random.Random, n: int) -> Mutated:
    """Change letter case: all lower, all upper, title case, or random words upper/lower-cased.

    Example: "Summarize the login errors" -> "summarize the login errors" (mode lower).
    """
    mode = rng.choice(("lower", "upper", "title", "words"))
    if mode == "lower":
        return Mutated(text.lower(), mode)
    if mode == "upper":
        return Mutated(text.upper(), mode)
    if mode == "title":
        return Mutated(_CASE_WORD.sub(lambda m: m.group(0)[:1].upper() + m.group(0)[1:], text), mode)

    def flip(m: re.Match[str]) -> str:
        w = m.group(0)
        return (w.lower() if w[0].isupper() else w.upper()) if rng.random() < 0.35 else w

    return Mutated(_CASE_WORD.sub(flip, text), mode)


# ----------------------------------------------------------------------------------- whitespace

_GAP = re.compile(r"(?<=\S) (?=\S)")


def whitespace(text: str, rng: random.Random, n: int) -> Mutated:
    """Change spacing: runs of spaces, line breaks or tabs between words, padding, or one line.

    Example: "List the steps to reset a password" -> "List the  steps to reset a   password" (mode spaces).
    """
    mode = rng.choice(("spaces", "newlines", "tabs", "pad", "collapse"))
    if mode == "collapse":
        return Mutated(" ".join(text.split()), mode)
    if mode == "pad":
        return Mutated(rng.choice(("\n\n", "   ", "\n \t")) + text + rng.choice(("\n\n\n", "   ", " \n")), mode)
    gaps = list(_GAP.finditer(text))
    if not gaps:
        return Mutated(text + "  ", "pad")
    k = max(1, len(gaps) // 4)
    fill = {"spaces": lambda: " " * rng.randint(2, 4), "newlines": lambda: "\n", "tabs": lambda: "\t"}[mode]
    for idx in sorted(rng.sample(range(len(gaps)), k), reverse=True):
        g = gaps[idx]
        text = text[:g.start()] + fill() + text[g.end():]
    return Mutated(text, f"{mode} at {k} gaps")


# ---------------------------------------------------------------------------------- punctuation

# Punctuation that ends a clause: followed by whitespace or the end, so "3.5" and "e.g" survive.
_CLAUSE_PUNCT = re.compile(r"[.,;:!?]+(?=\s|$)")
_TERMINAL = re.compile(r"[.!?]+\s*$")
_REPEAT = {".": "...", "?": "??", "!": "!!!", ",": ",,"}


def punctuation(text: str, rng: random.Random, n: int) -> Mutated:
    """Change punctuation: strip it, change or add the final mark, or repeat marks.

    Example: "What is 12+7?" -> "What is 12+7" (mode strip).
    """
    mode = rng.choice(("strip", "terminal", "repeat"))
    if mode == "strip":
        return Mutated(_CLAUSE_PUNCT.sub("", text), mode)
    if mode == "terminal":
        body = _TERMINAL.sub("", text.rstrip())
        current = text.rstrip()[len(body):].strip()
        choices = [p for p in ("", ".", "?", "!", "...") if p != current]
        new = rng.choice(choices)
        return Mutated(body + new, f"terminal {current!r}->{new!r}")
    marks = [m for m in re.finditer(r"[.?!,](?=\s|$)", text)]
    if not marks:
        return Mutated(text.rstrip() + "!!", "repeat: appended '!!'")
    for m in sorted(rng.sample(marks, max(1, len(marks) // 2)), key=lambda m: m.start(), reverse=True):
        text = text[:m.start()] + _REPEAT[m.group(0)] + text[m.end():]
    return Mutated(text, mode)
