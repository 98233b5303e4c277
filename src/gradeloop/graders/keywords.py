"""Keyword graders: contains, contains_all (coverage), contains_any, not_contains (forbidden terms).

The hot path of most suites: values are case-folded once at build time and checked with
`in`, so a call on a short output costs a few microseconds; a regex is compiled only when
`word_boundary` is on.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from gradeloop.graders.base import Grade
from gradeloop.graders.registry import BuildContext, Params, register

if TYPE_CHECKING:
    from gradeloop.suite.model import Case

Mode = Literal["contains", "contains_all", "contains_any", "not_contains"]


class KeywordParams(Params):
    """Words or phrases to look for in the output."""

    value: str | None = Field(None, description="One phrase to look for (or use `values`).")
    values: list[str] | None = Field(None, description="Phrases to look for.")
    case_sensitive: bool = Field(False, description="Match case exactly (default: case-insensitive).")
    word_boundary: bool = Field(False, description="Match whole words only ('lock' does not match 'lockout').")

    @model_validator(mode="after")
    def _one_list(self) -> "KeywordParams":
        if (self.value is None) == (self.values is None):
            raise ValueError("give exactly one of `value` or `values`")
        phrases = [self.value] if self.value is not None else self.values or []
        if not phrases:
            raise ValueError("`values` must not be empty")
        if any(not p for p in phrases):
            raise ValueError("phrases must not be empty strings")
        return self

    @property
    def phrases(self) -> tuple[str, ...]:
        return (self.value,) if self.value is not None else tuple(self.values or ())


@dataclass(frozen=True, slots=True)
class KeywordGrader:
    """Looks for phrases; `mode` decides how the hits become a score and a verdict."""

    name: str
    weight: float
    mode: Mode
    values: tuple[str, ...]  # as written, for reasons
    needles: tuple[str, ...]  # case-folded unless case_sensitive
    case_sensitive: bool
    patterns: tuple[re.Pattern[str], ...] | None = None  # only with word_boundary
    # Grades for the common outcomes, made once: constructing a Grade costs more than the check.
    found_grade: Grade | None = None  # contains (one phrase): found
    missing_grade: Grade | None = None  # contains (one phrase): missing
    clean_grade: Grade | None = None  # all present (contains, contains_all) or none present (not_contains)

    def _found(self, output: str) -> list[bool]:
        if self.patterns is not None:
            return [p.search(output) is not None for p in self.patterns]
        text = output if self.case_sensitive else output.casefold()
        return [n in text for n in self.needles]

    def _verdict(self, n: int, k: int) -> tuple[float, bool]:
        """Score and pass of `k` of `n` phrases found, by mode (the one place that rule lives)."""
        mode = self.mode
        if mode == "not_contains":
            return (0.0 if k else 1.0), k == 0
        if mode == "contains_any":
            return (1.0 if k else 0.0), k > 0
        if mode == "contains":
            return (1.0 if k == n else 0.0), k == n
        return k / n, k == n

    def score_only(self, case: "Case", output: str) -> float:
        """The score `grade` gives, without building a reason: the hot path of training rewards."""
        if self.patterns is None:
            text = output if self.case_sensitive else output.casefold()
            k = sum(1 for n in self.needles if n in text)
        else:
            k = sum(1 for p in self.patterns if p.search(output) is not None)
        return self._verdict(len(self.needles), k)[0]

    def grade(self, case: "Case", output: str) -> Grade:
        mode = self.mode
        if self.found_grade is not None:
            # Fast path: one phrase, plain substring.
            ok = self.needles[0] in (output if self.case_sensitive else output.casefold())
            return self.found_grade if ok else self.missing_grade  # type: ignore[return-value]
        found = self._found(output)
        n, k = len(found), sum(found)
        if self.clean_grade is not None and k == (0 if mode == "not_contains" else n):
            return self.clean_grade
        score, passed = self._verdict(n, k)
        if mode == "not_contains":
            hits = [v for v, f in zip(self.values, found) if f]
            reason = f"forbidden hits: {k}" + (f" ({', '.join(hits)})" if hits else "")
        elif mode == "contains_any":
            matched = [v for v, f in zip(self.values, found) if f]
            reason = f"matched: {', '.join(matched)}" if matched else f"none of: {', '.join(self.values)}"
        else:
            missing = [v for v, f in zip(self.values, found) if not f]
            reason = f"coverage {k}/{n}" + (f"; missing: {', '.join(missing)}" if missing else "")
        return Grade(score, passed, reason, self.name)


def _build(mode: Mode, p: KeywordParams, ctx: BuildContext) -> KeywordGrader:
    phrases = p.phrases
    patterns = None
    if p.word_boundary:
        flags = 0 if p.case_sensitive else re.IGNORECASE
        # Look-arounds instead of \b so phrases that start or end with symbols ("C++") still work.
        patterns = tuple(re.compile(rf"(?<!\w){re.escape(v)}(?!\w)", flags) for v in phrases)
    needles = phrases if p.case_sensitive else tuple(v.casefold() for v in phrases)
    name = p.name or ctx.default_name
    found = missing = clean = None
    if mode == "contains" and patterns is None and len(phrases) == 1:
        found = Grade(1.0, True, f"found {phrases[0]!r}", name)
        missing = Grade(0.0, False, f"missing {phrases[0]!r}", name)
    elif mode == "not_contains":
        clean = Grade(1.0, True, "forbidden hits: 0", name)
    elif mode in ("contains", "contains_all"):
        clean = Grade(1.0, True, f"coverage {len(phrases)}/{len(phrases)}", name)
    return KeywordGrader(name, p.weight, mode, phrases, needles, p.case_sensitive, patterns, found, missing, clean)


@register("contains", KeywordParams, "Passes when the output contains the phrase (all of them if several); score 1 or 0.")
def build_contains(p: KeywordParams, ctx: BuildContext) -> KeywordGrader:
    return _build("contains", p, ctx)


@register("contains_all", KeywordParams,
          "Keyword coverage: score = share of phrases present; passes when all are present.")
def build_contains_all(p: KeywordParams, ctx: BuildContext) -> KeywordGrader:
    return _build("contains_all", p, ctx)


@register("contains_any", KeywordParams, "Passes when at least one phrase is present; score 1 or 0.")
def build_contains_any(p: KeywordParams, ctx: BuildContext) -> KeywordGrader:
    return _build("contains_any", p, ctx)


@register("not_contains", KeywordParams,
          "Forbidden terms: score 1 when none is present, else 0; the reason counts the hits.")
def build_not_contains(p: KeywordParams, ctx: BuildContext) -> KeywordGrader:
    return _build("not_contains", p, ctx)
