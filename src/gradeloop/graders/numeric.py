"""The numeric grader: pulls a number out of prose and compares it within a tolerance."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from gradeloop.graders.base import Grade
from gradeloop.graders.registry import BuildContext, Params, register

if TYPE_CHECKING:
    from gradeloop.suite.model import Case

# A sign only where it cannot be a hyphen or an operator ("2020-2021", "12+7" give no negatives);
# thousands separators only in groups of three ("1,234" but "1,2345" is two numbers); digits glued
# to a letter before them are part of a name, not a number ("GPT4", "H2O", "x86"), while "12kg" is 12.
NUMBER = re.compile(
    r"(?:(?<![\w)\]])(?P<sign>[-+\u2212]))?"
    r"(?<![\d.])(?<![^\W\d])(?P<num>\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<exp>[eE][-+]?\d+)?"
)


def find_numbers(text: str) -> list[float]:
    """Every number in `text`, in order: handles 1,234, -3.5, 1e3 and the Unicode minus."""
    out = []
    for m in NUMBER.finditer(text):
        value = float(m.group("num").replace(",", "") + (m.group("exp") or ""))
        out.append(-value if m.group("sign") in ("-", "\u2212") else value)
    return out


def extract_number(text: str, extract: Literal["first", "last", "only"] = "last") -> float | None:
    """The number `extract` picks from `text`; None when there is none (or, for `only`, several)."""
    nums = find_numbers(text)
    if not nums or (extract == "only" and len(nums) != 1):
        return None
    return nums[0] if extract == "first" else nums[-1]


class NumericParams(Params):
    """The expected number and how close the answer must be."""

    value: float = Field(description="Expected number (a string such as \"1,234\" or \"{{ reference }}\" works).")
    tolerance: float = Field(0.0, ge=0, description="Absolute tolerance: passes when |x - value| <= tolerance.")
    rel_tolerance: float = Field(0.0, ge=0, description="Relative tolerance, as a fraction of |value|.")
    extract: Literal["first", "last", "only"] = Field(
        "last", description="Which number of the output to use; `only` fails when there is not exactly one.")

    @field_validator("value", mode="before")
    @classmethod
    def _parse(cls, v: object) -> object:
        if isinstance(v, str):
            found = extract_number(v, "only")
            if found is None:
                raise ValueError(f"not one number: {v!r}")
            return found
        return v


@dataclass(frozen=True, slots=True)
class NumericGrader:
    """Passes when the extracted number is within max(tolerance, rel_tolerance * |value|)."""

    name: str
    weight: float
    value: float
    allowed: float  # the tolerance as written
    extract: Literal["first", "last", "only"]

    def grade(self, case: "Case", output: str) -> Grade:
        nums = find_numbers(output)
        if not nums:
            return Grade(0.0, False, "no number in the output", self.name)
        if self.extract == "only" and len(nums) != 1:
            return Grade(0.0, False, f"expected exactly one number, found {len(nums)}", self.name)
        got = nums[0] if self.extract == "first" else nums[-1]
        diff = abs(got - self.value)
        # 1e-9 relative slack for float noise: 0.1 + 0.2 equals 0.3 at tolerance 0.
        ok = diff <= self.allowed + 1e-9 * max(1.0, abs(self.value))
        reason = f"got {got:g}, expected {self.value:g}" + (f" ± {self.allowed:g}" if self.allowed else "")
        return Grade(1.0 if ok else 0.0, ok, reason, self.name)


@register("numeric", NumericParams,
          "Extracts a number from the output (last by default) and passes when it is within tolerance of the value.")
def build_numeric(p: NumericParams, ctx: BuildContext) -> NumericGrader:
    if not math.isfinite(p.value):
        ctx.error("value must be a finite number", "value")
    allowed = max(p.tolerance, p.rel_tolerance * abs(p.value))
    return NumericGrader(p.name or ctx.default_name, p.weight, p.value, allowed, p.extract)
