"""Prompt mutation operators, by the names used on the command line (`--ops typos,casing,...`)."""
from __future__ import annotations

from gradeloop.probes.mutations.base import Masked, Mutated, Operator, mask
from gradeloop.probes.mutations.injection import injection, tool_injection
from gradeloop.probes.mutations.noise import casing, punctuation, typos, whitespace
from gradeloop.probes.mutations.paraphrase import paraphrase
from gradeloop.probes.mutations.structure import distractor, format_, reorder
from gradeloop.probes.mutations.swap import persona, source_tags, swap

OPERATORS: dict[str, Operator] = {
    "typos": typos,
    "casing": casing,
    "whitespace": whitespace,
    "punctuation": punctuation,
    "reorder": reorder,
    "distractor": distractor,
    "injection": injection,
    "tool_injection": tool_injection,
    "format": format_,
    "paraphrase": paraphrase,
    "swap": swap,
}

__all__ = ["OPERATORS", "Masked", "Mutated", "Operator", "casing", "distractor", "format_", "injection", "mask",
           "paraphrase", "persona", "punctuation", "reorder", "source_tags", "swap", "tool_injection", "typos", "whitespace"]
