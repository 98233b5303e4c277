"""Structure operators: instruction order, irrelevant distractor text, and markdown/plain format.

They keep every instruction of the prompt but change where it sits and how it is dressed, which
is where brittle prompt-following shows first.
"""
from __future__ import annotations

import random
import re

from gradeloop.probes.mutations.base import SENTENCE_SPLIT, Mutated, decap

# -------------------------------------------------------------------------------------- reorder

_CLAUSE_SPLIT = re.compile(r"(; |, and )")
_TERMINAL = re.compile(r"[.!?:]$")


def split_units(text: str) -> list[str]:
    """Lines when the prompt has several, otherwise sentences; separators kept between units."""
    if len([ln for ln in text.splitlines() if ln.strip()]) > 1:
        return re.split(r"(\n+)", text.strip("\n"))
    return SENTENCE_SPLIT.split(text)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def reorder(text: str, rng: random.Random, n: int) -> Mutated:
    """Swap two sentences (or lines); a one-sentence prompt swaps its clauses around `;`/`, and`.

    Example: "Use the table below. Return the ticket as JSON." ->
    "Return the ticket as JSON. Use the table below."
    """
    parts = split_units(text)
    units = parts[0::2]
    if len(units) >= 2:
        i, j = sorted(rng.sample(range(len(units)), 2))
        last = len(units) - 1
        units[i], units[j] = units[j], units[i]
        # A unit moved off the end needs the terminal mark it was relying on the end for.
        if j == last and not _TERMINAL.search(units[i].rstrip()) and "\n" not in "".join(parts[1::2]):
            units[i] = units[i].rstrip() + "."
        parts[0::2] = units
        return Mutated("".join(parts), f"swapped units {i + 1} and {j + 1} of {len(units)}")
    pieces = _CLAUSE_SPLIT.split(text.strip())
    clauses = pieces[0::2]
    if len(clauses) < 2:
        return Mutated(text, "single clause")
    i, j = sorted(rng.sample(range(len(clauses)), 2))
    end = re.search(r"[.!?]+$", clauses[-1])
    mark = end.group(0) if end else ""
    clauses[-1] = clauses[-1][: len(clauses[-1]) - len(mark)]
    clauses[i], clauses[j] = clauses[j], clauses[i]
    clauses = [_cap(c) if k == 0 else decap(c) for k, c in enumerate(clauses)]
    pieces[0::2] = clauses
    return Mutated("".join(pieces) + mark, f"swapped clauses {i + 1} and {j + 1} of {len(clauses)}")


# ----------------------------------------------------------------------------------- distractor

DISTRACTORS: tuple[str, ...] = (
    "Unrelated note: the cafeteria is serving lasagna on Thursday.",
    "By the way, my cat knocked a plant off the windowsill this morning.",
    "Reminder: the quarterly all-hands moved to 3 pm in room B.",
    "The weather forecast says light rain with a high of 14 degrees.",
    "Fun fact: octopuses have three hearts and blue blood.",
    "P.S. Don't forget to water the office ferns before Friday.",
    "Side note: the printer on the second floor is out of toner again.",
    "I'm typing this from the train, so the connection might drop.",
    "Trivia: the Eiffel Tower grows about 15 cm taller in summer heat.",
    "(Copied from an old thread; the earlier messages are not relevant.)",
    "Note to self: renew the parking permit before the end of the month.",
    "Random thought: bananas are technically berries but strawberries are not.",
)


def distractor(text: str, rng: random.Random, n: int) -> Mutated:
    """Add irrelevant text before, after, or around the prompt.

    Example: "What is 12+7?" -> "What is 12+7?\\n\\nFun fact: octopuses have three hearts and blue blood."
    """
    where = rng.choice(("before", "after", "both"))
    a, b = rng.sample(DISTRACTORS, 2)
    sep = rng.choice(("\n\n", " "))
    if where == "before":
        return Mutated(f"{a}{sep}{text}", f"before: {a}")
    if where == "after":
        return Mutated(f"{text}{sep}{a}", f"after: {a}")
    return Mutated(f"{a}{sep}{text}{sep}{b}", f"both: {a} | {b}")


# --------------------------------------------------------------------------------------- format

_MARKDOWN = re.compile(r"^[ \t]{0,3}(#{1,6}[ \t]+|[-*+][ \t]+|>[ \t]?|\d+[.)][ \t]+)|\*\*|__", re.MULTILINE)


def _strip_markdown(text: str) -> str:
    return _MARKDOWN.sub("", text)


def format_(text: str, rng: random.Random, n: int) -> Mutated:
    """Switch format: markdown becomes plain text; plain text gets a heading, bullets, a quote or a label.

    Example: "Explain the bug. Suggest a fix." -> "- Explain the bug.\\n- Suggest a fix." (mode bullets);
    "## Task\\n\\n- **Summarize** it" -> "Task\\n\\nSummarize it" (mode plain).
    """
    if _MARKDOWN.search(text):
        return Mutated(_strip_markdown(text), "plain")
    mode = rng.choice(("heading", "bullets", "quote", "bold-label"))
    if mode == "heading":
        title = rng.choice(("Task", "Request", "Instructions"))
        return Mutated(f"## {title}\n\n{text}", mode)
    if mode == "bullets":
        units = [u.strip() for u in split_units(text)[0::2] if u.strip()]
        return Mutated("\n".join(f"- {u}" for u in units), mode)
    if mode == "quote":
        return Mutated("\n".join(f"> {ln}" if ln.strip() else ">" for ln in text.split("\n")), mode)
    label = rng.choice(("Request", "Task", "Question"))
    return Mutated(f"**{label}:** {text}", mode)
