"""Pattern and answer matching: regex, exact, and SQuAD-style normalised match."""
from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from gradeloop.graders.base import Grade
from gradeloop.graders.registry import BuildContext, Params, register

if TYPE_CHECKING:
    from gradeloop.suite.model import Case

_FLAGS = {"ignorecase": re.IGNORECASE, "i": re.IGNORECASE, "multiline": re.MULTILINE, "m": re.MULTILINE,
          "dotall": re.DOTALL, "s": re.DOTALL, "verbose": re.VERBOSE, "x": re.VERBOSE,
          "ascii": re.ASCII, "a": re.ASCII}


class RegexParams(Params):
    """A regular expression the output must (or, negated, must not) match."""

    pattern: str = Field(description="Python regular expression.")
    flags: list[str] | str = Field(default_factory=list,
                                   description="ignorecase, multiline, dotall, verbose, ascii (or i, m, s, x, a).")
    match: Literal["search", "fullmatch"] = Field("search", description="search anywhere, or fullmatch the whole output.")
    negate: bool = Field(False, description="Pass when the pattern does NOT match.")


@dataclass(frozen=True, slots=True)
class RegexGrader:
    """Matches a compiled pattern; passes on a match, or on no match when negated."""

    name: str
    weight: float
    regex: re.Pattern[str]
    fullmatch: bool
    negate: bool

    def grade(self, case: "Case", output: str) -> Grade:
        m = self.regex.fullmatch(output) if self.fullmatch else self.regex.search(output)
        ok = (m is None) if self.negate else (m is not None)
        if m is not None:
            reason = f"matched {m.group(0)[:60]!r} at {m.start()}"
        else:
            reason = f"no match for /{self.regex.pattern}/"
        return Grade(1.0 if ok else 0.0, ok, reason + (" (negated)" if self.negate else ""), self.name)


@register("regex", RegexParams, "Passes when the regular expression matches (search or fullmatch; `negate` inverts).")
def build_regex(p: RegexParams, ctx: BuildContext) -> RegexGrader:
    names = [p.flags] if isinstance(p.flags, str) else p.flags
    flags = 0
    for n in names:
        for part in n.replace("|", ",").split(","):
            part = part.strip().lower().removeprefix("re.")
            if not part:
                continue
            if part not in _FLAGS:
                ctx.error(f"unknown regex flag {part!r} (use {', '.join(sorted(k for k in _FLAGS if len(k) > 1))})",
                          "flags")
            flags |= _FLAGS[part]
    try:
        regex = re.compile(p.pattern, flags)
    except re.error as exc:
        ctx.error(f"invalid regular expression {p.pattern!r}: {exc}", "pattern")
    return RegexGrader(p.name or ctx.default_name, p.weight, regex, p.match == "fullmatch", p.negate)


class ExactParams(Params):
    """The exact expected output."""

    value: str = Field(description="The expected output.")
    case_sensitive: bool = Field(True, description="Compare case exactly.")
    strip: bool = Field(True, description="Ignore whitespace around the output and the value.")


@dataclass(frozen=True, slots=True)
class ExactGrader:
    """Compares the output with the value character by character (after optional strip/casefold)."""

    name: str
    weight: float
    value: str
    expected: str
    case_sensitive: bool
    strip: bool

    def grade(self, case: "Case", output: str) -> Grade:
        got = output.strip() if self.strip else output
        if not self.case_sensitive:
            got = got.casefold()
        ok = got == self.expected
        reason = "exact match" if ok else f"expected {self.value[:80]!r}, got {output[:80]!r}"
        return Grade(1.0 if ok else 0.0, ok, reason, self.name)


@register("exact", ExactParams, "Passes when the output equals the value (surrounding whitespace ignored by default).")
def build_exact(p: ExactParams, ctx: BuildContext) -> ExactGrader:
    expected = p.value.strip() if p.strip else p.value
    if not p.case_sensitive:
        expected = expected.casefold()
    return ExactGrader(p.name or ctx.default_name, p.weight, p.value, expected, p.case_sensitive, p.strip)


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD's answer normalisation: casefold, drop punctuation and articles, collapse whitespace."""
    text = text.casefold()
    text = "".join(" " if (ch in _PUNCT or unicodedata.category(ch).startswith("P")) else ch for ch in text)
    return " ".join(_ARTICLES.sub(" ", text).split())


class NormalizedParams(Params):
    """Accepted answers, compared after SQuAD-style normalisation."""

    value: str | None = Field(None, description="The accepted answer (or use `values`).")
    values: list[str] | None = Field(None, description="Several accepted answers; any one passes.")
    contains: bool = Field(False, description="Pass when a normalised answer appears inside the normalised output.")

    @model_validator(mode="after")
    def _one_list(self) -> "NormalizedParams":
        if (self.value is None) == (self.values is None):
            raise ValueError("give exactly one of `value` or `values`")
        if self.values is not None and not self.values:
            raise ValueError("`values` must not be empty")
        return self


@dataclass(frozen=True, slots=True)
class NormalizedGrader:
    """Exact (or contained) match of normalised answer strings."""

    name: str
    weight: float
    answers: tuple[str, ...]
    contains: bool

    def grade(self, case: "Case", output: str) -> Grade:
        got = normalize_answer(output)
        if self.contains:
            padded = f" {got} "
            ok = any(f" {a} " in padded for a in self.answers)
        else:
            ok = got in self.answers
        reason = (f"normalised output {got[:80]!r} " + ("matches" if ok else "does not match")
                  + f" {' | '.join(self.answers)[:120]!r}")
        return Grade(1.0 if ok else 0.0, ok, reason, self.name)


@register("normalized_match", NormalizedParams,
          "Passes when the output equals an accepted answer after casefolding and dropping punctuation, articles and extra whitespace.")
def build_normalized(p: NormalizedParams, ctx: BuildContext) -> NormalizedGrader:
    raw = [p.value] if p.value is not None else list(p.values or [])
    return NormalizedGrader(p.name or ctx.default_name, p.weight, tuple(normalize_answer(a) for a in raw), p.contains)
