"""The `multi` grader: named sub-graders combined by weights or by a safe formula.

Also runs OpenAI's multi grader JSON (`graders` + `calculate_output`). As in OpenAI's, a formula
sees each sub-grader's own result: a score_model with range [0, 10] enters it as 0..10, not
rescaled to 0..1 (the weighted mean uses the 0..1 scores). A sub-grade error makes the whole
grade an error, never a pass.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Mapping

from pydantic import Field, model_validator

from gradeloop.graders.base import Grade, Grader
from gradeloop.graders.formula import Formula, FormulaError, compile_formula
from gradeloop.graders.registry import BuildContext, Params, register
from gradeloop.graders.safety import safe_grade

if TYPE_CHECKING:
    from gradeloop.suite.model import Case


class MultiParams(Params):
    """Named sub-graders and how their scores combine."""

    graders: dict[str, dict[str, Any]] = Field(description="Sub-graders by name: {name: {type: ..., ...}}.")
    weights: dict[str, float] | None = Field(None, description="Weights by sub-grader name for a weighted mean "
                                             "(unlisted ones weigh 1; default: each sub-grader's own `weight`).")
    formula: str | None = Field(None, description="Arithmetic over sub-grade names, e.g. \"0.5 * a + 0.5 * min(b, c)\"; "
                                "+ - * / **, min, max, abs, comparisons.")
    calculate_output: str | None = Field(None, description="OpenAI's name for `formula`.")
    pass_threshold: float = Field(1.0, ge=0, le=1, description="Passes when the combined score is at or above this.")
    passed_when: Literal["threshold", "all"] = Field(
        "threshold", description="`threshold`: score >= pass_threshold; `all`: every sub-grader passes.")

    @model_validator(mode="after")
    def _check(self) -> "MultiParams":
        if not self.graders:
            raise ValueError("`graders` must name at least one sub-grader")
        if self.formula is not None and self.calculate_output is not None:
            raise ValueError("give `formula` or `calculate_output`, not both")
        if (self.formula or self.calculate_output) and self.weights is not None:
            raise ValueError("give `weights` or a formula, not both")
        if self.weights is not None:
            unknown = sorted(set(self.weights) - set(self.graders))
            if unknown:
                raise ValueError(f"weights for unknown sub-graders: {', '.join(unknown)}")
            if any(w < 0 for w in self.weights.values()):
                raise ValueError("weights must be >= 0")
        return self


@dataclass(frozen=True, slots=True)
class MultiGrader:
    """Grades with every sub-grader, then combines by formula or weighted mean."""

    name: str
    weight: float
    subs: tuple[tuple[str, Grader], ...]
    weights: Mapping[str, float]
    formula: Formula | None
    formula_text: str | None
    pass_threshold: float
    require_all: bool

    def grade(self, case: "Case", output: str) -> Grade:
        grades = {key: safe_grade(g, case, output) for key, g in self.subs}
        errors = [f"{key}: {g.error}" for key, g in grades.items() if g.error is not None]
        signals = {f"{key}.{k}": v for key, g in grades.items() for k, v in (g.signals or {}).items()} or None
        parts = " ".join(f"{key}={g.score:.2f}" for key, g in grades.items())
        if errors:
            return Grade(0.0, False, parts, self.name, error="sub-grade error: " + "; ".join(errors)[:500],
                         signals=signals)
        scores = {key: g.score for key, g in grades.items()}
        if self.formula is not None:
            results = {key: _own_scale(grader, scores[key]) for key, grader in self.subs}
            try:
                raw = float(self.formula(results))
            except (ArithmeticError, TypeError, ValueError) as exc:
                return Grade(0.0, False, parts, self.name, error=f"formula {self.formula_text!r} failed: {exc}")
            if math.isnan(raw):
                return Grade(0.0, False, parts, self.name, error=f"formula {self.formula_text!r} gave NaN")
            score = min(1.0, max(0.0, raw))
            how = f"formula = {raw:g}" + (f" (clipped to {score:g})" if score != raw else "")
        else:
            total = sum(self.weights.values())
            score = (sum(self.weights[k] * s for k, s in scores.items()) / total if total > 0
                     else sum(scores.values()) / len(scores))
            how = f"weighted mean = {score:.3f}"
        ok = all(g.passed for g in grades.values()) if self.require_all else score >= self.pass_threshold - 1e-12
        return Grade(score, ok, f"{parts}; {how}", self.name, signals=signals)


def _own_scale(grader: Grader, score: float) -> float:
    """A sub-grade on its grader's own scale: score_model's range, else the [0, 1] score itself."""
    rng = getattr(grader, "score_range", None)
    if rng is None:
        return score
    lo, hi = rng
    return lo + score * (hi - lo)


@register("multi", MultiParams, "Combines named sub-graders by weighted mean or a formula (OpenAI multi compatible).",
          openai=True, nested="graders")
def build_multi(p: MultiParams, ctx: BuildContext) -> MultiGrader:
    subs = tuple((key, ctx.sub(spec, f"graders.{key}")) for key, spec in p.graders.items())
    text = p.formula if p.formula is not None else p.calculate_output
    formula = None
    if text is not None:
        try:
            formula = compile_formula(text, [k for k, _ in subs])
        except FormulaError as exc:
            ctx.error(str(exc), "formula" if p.formula is not None else "calculate_output")
    weights = {key: (p.weights or {}).get(key, 1.0 if p.weights is not None else g.weight) for key, g in subs}
    return MultiGrader(p.name or ctx.default_name, p.weight, subs, weights, formula, text, p.pass_threshold,
                       p.passed_when == "all")
