"""Pattern and answer matching: regex, exact, and SQuAD-style normalised match.

Regular expressions run on untrusted model output, so they use the `regex` module (Python's
`re` dialect, V0) with a time limit per match: a catastrophic pattern such as `^(\\w|\\w\\w)*$`
on a long output ends as a grader error instead of hanging the run.
"""
from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import regex as regex_lib
from pydantic import Field, model_validator

from gradeloop.graders.base import Grade
from gradeloop.graders.registry import BuildContext, Params, register

if TYPE_CHECKING:
    from gradeloop.suite.model import Case

_FLAGS = {"ignorecase": regex_lib.IGNORECASE, "i": regex_lib.IGNORECASE, "multiline": regex_lib.MULTILINE,
          "m": regex_lib.MULTILINE, "dotall": regex_lib.DOTALL, "s": regex_lib.DOTALL, "verbose": regex_lib.VERBOSE,
          "x": regex_lib.VERBOSE, "ascii": regex_lib.ASCII, "a": regex_lib.ASCII}

# Seconds one match may take on one output; a pattern that needs longer backtracks catastrophically.
DEFAULT_REGEX_TIMEOUT = 1.0


def compile_user_regex(pattern: str, flags: int = 0) -> "regex_lib.Pattern[str]":
    """Compile a suite's pattern in Python's dialect (V0); `regex_lib.error` when it is invalid."""
    return regex_lib.compile(pattern, flags | regex_lib.VERSION0)


class RegexParams(Params):
    """A regular expression the output must (or, negated, must not) match."""

    pattern: str = Field(description="Python regular expression.")
    flags: list[str] | str = Field(default_factory=list,
                                   description="ignorecase, multiline, dotall, verbose, ascii (or i, m, s, x, a).")
    match: Literal["search", "fullmatch"] = Field("search", description="search anywhere, or fullmatch the whole output.")
    negate: bool = Field(False, description="Pass when the pattern does NOT match.")
    timeout: float = Field(DEFAULT_REGEX_TIMEOUT, gt=0, le=60, description="Seconds one match may take; "
                           "a longer one (catastrophic backtracking) is a grader error, not a verdict.")


@dataclass(frozen=True, slots=True)
class RegexGrader:
    """Matches a compiled pattern; passes on a match, or on no match when negated."""

    name: str
    weight: float
    regex: "regex_lib.Pattern[str]"
    fullmatch: bool
    negate: bool
    timeout: float = DEFAULT_REGEX_TIMEOUT

    def grade(self, case: "Case", output: str) -> Grade:
        try:
            m = (self.regex.fullmatch(output, timeout=self.timeout) if self.fullmatch
                 else self.regex.search(output, timeout=self.timeout))
        except TimeoutError:
            return Grade(0.0, False, "", self.name,
                         error=f"regex /{self.regex.pattern[:80]}/ timed out after {self.timeout:g} s on a "
                               f"{len(output)}-char output (catastrophic backtracking)")
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
        compiled = compile_user_regex(p.pattern, flags)
    except (regex_lib.error, ValueError, OverflowError) as exc:
        ctx.error(f"invalid regular expression {p.pattern!r}: {exc}", "pattern")
    return RegexGrader(p.name or ctx.default_name, p.weight, compiled, p.match == "fullmatch", p.negate, p.timeout)


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


def _unpunct(text: str) -> str:
    return "".join(" " if (ch in _PUNCT or unicodedata.category(ch).startswith("P")) else ch for ch in text)


def normalize_answer(text: str) -> str:
    """SQuAD's answer normalisation: casefold, drop punctuation and articles, collapse whitespace."""
    return " ".join(_ARTICLES.sub(" ", _unpunct(text.casefold())).split())


# Gentler normalisations for answers SQuAD's would erase: "A" (an option letter), "The" (a band),
# "-" or "?" (symbols). Each answer is compared with the output under the first level that leaves it
# non-empty, so an empty output never equals it and "The answer is A" contains "A".
_LEVELS = (
    normalize_answer,
    lambda t: " ".join(_unpunct(t.casefold()).split()),  # keep articles
    lambda t: " ".join(t.casefold().split()),  # keep punctuation too
)


def answer_key(answer: str) -> tuple[int, str]:
    """(level, normalised answer): the first normalisation level that leaves the answer non-empty."""
    for level, fn in enumerate(_LEVELS):
        norm = fn(answer)
        if norm:
            return level, norm
    return len(_LEVELS) - 1, ""


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
        if any(not a.strip() for a in ([self.value] if self.value is not None else self.values or [])):
            raise ValueError("an accepted answer must not be empty")
        return self


@dataclass(frozen=True, slots=True)
class NormalizedGrader:
    """Exact (or contained) match of normalised answer strings."""

    name: str
    weight: float
    answers: tuple[str, ...]
    contains: bool
    levels: tuple[int, ...] = ()  # normalisation level of each answer (see answer_key)

    def grade(self, case: "Case", output: str) -> Grade:
        outs = {level: _LEVELS[level](output) for level in set(self.levels or (0,))}
        levels = self.levels or (0,) * len(self.answers)
        if self.contains:
            ok = any(f" {a} " in f" {outs[lv]} " for a, lv in zip(self.answers, levels))
        else:
            ok = any(outs[lv] == a for a, lv in zip(self.answers, levels))
        got = outs[min(outs)]
        reason = (f"normalised output {got[:80]!r} " + ("matches" if ok else "does not match")
                  + f" {' | '.join(self.answers)[:120]!r}")
        return Grade(1.0 if ok else 0.0, ok, reason, self.name)


@register("normalized_match", NormalizedParams,
          "Passes when the output equals an accepted answer after casefolding and dropping punctuation, articles and extra whitespace.")
def build_normalized(p: NormalizedParams, ctx: BuildContext) -> NormalizedGrader:
    raw = [p.value] if p.value is not None else list(p.values or [])
    keys = [answer_key(a) for a in raw]
    return NormalizedGrader(p.name or ctx.default_name, p.weight, tuple(k for _, k in keys), p.contains,
                            tuple(lv for lv, _ in keys))
