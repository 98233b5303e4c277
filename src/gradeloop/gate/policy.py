"""Gate policies: what makes a candidate fail against a baseline, and what makes it inconclusive.

Defaults (no file): one-sided tests at a family-wise α = 0.05 across the slices tested
(Bonferroni: each slice's interval is a simultaneous one, and the interval decides); a
regression fails only when it is also larger than a 2-point practical margin. A result the data
cannot support (errors, a slice with no data, an observed drop beyond `max_drop` that the test
cannot confirm) is `inconclusive`, which fails unless `on_inconclusive: pass`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gradeloop.configfile import load_yaml_config


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NonInferiority(_Strict):
    """Pass only when the interval's lower bound of (candidate − baseline) is above −margin."""

    slice: str = Field(description="A slice name such as `risk=high`, `suite=NAME` or `all`")
    margin: float = Field(0.05, ge=0, le=1)


class Floor(_Strict):
    """An absolute minimum on the candidate's pass rate for a slice or a grader."""

    slice: str | None = Field(None, description="Slice name, or `all`")
    grader: str | None = Field(None, description="Grader name")
    min_pass_rate: float = Field(ge=0, le=1)
    on: Literal["mean", "ci_low"] = "mean"


class MaxGap(_Strict):
    """Fairness: the largest gap between strata of a tag must stay under `max_gap`.

    `on: ci_low` (default) fails on a gap *shown* beyond max_gap (multiplicity-corrected lower
    bound): judging the mean failed 74% of gap-free 5×40 suites at 0.10. `mean` and `ci_high`
    (fail unless the gap is shown to be small) are stricter choices.
    """

    tag: str
    max_gap: float = Field(ge=0, le=1)
    on: Literal["ci_low", "mean", "ci_high"] = "ci_low"


class ValidatedJudge(_Strict):
    """A judge whose verdicts may gate only after validation against human labels (gradeloop.labels)."""

    grader: str = Field(description="Grader name, as in the runs' grades")
    labels: str = Field(description="Labels JSONL (`gradeloop labels export`); relative to the policy file")
    min_kappa: float = Field(0.6, ge=-1, le=1, description="Required lower bound of Cohen's κ (95%)")


class GatePolicy(_Strict):
    """The whole policy; every field has a sensible default."""

    alpha: float = Field(0.05, gt=0, lt=0.5, description="Family-wise error rate of the regression tests")
    power: float = Field(0.8, gt=0, lt=1, description="Power used to state the minimum detectable effect")
    margin: float = Field(0.02, ge=0, le=1, description="Practical margin: smaller drops never fail")
    metric: Literal["pass_rate", "score"] = "pass_rate"
    slices: Literal["all", "none"] | list[str] = Field(
        "all", description="Which tag keys to test per slice: all, none, or a list of tag keys")
    gate_graders: bool = Field(False, description="Also fail on a significant per-grader regression")
    min_slice_cases: int = Field(5, ge=1, description="Slices with fewer shared cases are not tested (outside the "
                                 "correction family); they pass only while their observed drop stays within max_drop")
    max_drop: float = Field(0.10, ge=0, le=1, description="An observed drop beyond this that the test cannot confirm "
                            "is inconclusive, never pass")
    on_inconclusive: Literal["fail", "pass"] = Field(
        "fail", description="Exit code of an inconclusive verdict: fail (exit 1, the default) or pass (printed)")
    max_error_rate: float = Field(0.0, ge=0, le=1, description="Share of the candidate's planned samples that may "
                                  "error (target, grader, missing output) before the verdict is inconclusive")
    max_error_increase: float = Field(0.0, ge=0, le=1, description="How much the candidate's error rate may exceed "
                                      "the baseline's before the verdict is fail")
    non_inferiority: list[NonInferiority] = Field(default_factory=list)
    floors: list[Floor] = Field(default_factory=list)
    max_gap: list[MaxGap] = Field(default_factory=list)
    validated_judges: list[ValidatedJudge] = Field(default_factory=list)


def load_policy(path: str | Path | None) -> GatePolicy:
    """The policy in `path`, or the defaults."""
    if path is None:
        return GatePolicy()
    policy = load_yaml_config(path, GatePolicy)
    if policy.validated_judges:  # labels files are named relative to the policy file
        base = Path(path).parent
        judges = [j.model_copy(update={"labels": str(base / j.labels)}) if not Path(j.labels).is_absolute() else j
                  for j in policy.validated_judges]
        policy = policy.model_copy(update={"validated_judges": judges})
    return policy
