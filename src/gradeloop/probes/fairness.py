"""Fairness strata: the pass rate per value of a tag and the largest gap between two of them.

Strata are the values of one case tag (locale, dialect, `swap_gender` from the swap mutation,
...). The gap comes from `stats.max_gap`: an unpaired difference with an interval
Bonferroni-corrected over all pairs of strata and a Holm-adjusted p-value, so looking at many
strata does not manufacture a gap. For counterfactual variants of the same parents the unpaired
interval is conservative (it ignores the pairing).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal, Mapping

from gradeloop import stats
from gradeloop.errors import InputError
from gradeloop.probes import runview as rv
from gradeloop.stats import Estimate


@dataclass(frozen=True, slots=True)
class FairnessReport:
    """Each stratum's pass rate, and the best-minus-worst gap with its corrected interval."""

    tag: str
    strata: Mapping[str, Estimate]
    pair: tuple[str, str] | None  # (best, worst)
    gap: Estimate | None
    p_value: float  # Holm-adjusted over all pairs of strata
    n_pairs: int
    untagged: int  # cases without the tag (not in any stratum)
    skipped: tuple[str, ...]  # "suite/id" of tagged cases without a valid sample
    largest_lower: float = 0.0  # largest corrected lower bound of any pair's gap

    def as_dict(self) -> dict[str, Any]:
        return {"tag": self.tag, "strata": {k: v.as_dict() for k, v in self.strata.items()},
                "pair": list(self.pair) if self.pair else None,
                "gap": self.gap.as_dict() if self.gap else None, "p_value": self.p_value,
                "n_pairs": self.n_pairs, "untagged": self.untagged, "skipped": list(self.skipped),
                "largest_lower": self.largest_lower}

    def render_text(self) -> str:
        rows = [(name, rv.fmt_estimate(est)) for name, est in self.strata.items()]
        out = [rv.table((self.tag, "pass rate"), rows)]
        if self.gap is not None and self.pair is not None:
            out.append(f"\nlargest gap {self.pair[0]} - {self.pair[1]}: {self.gap.mean:.3f} "
                       f"[{self.gap.ci_low:.3f}, {self.gap.ci_high:.3f}] (corrected over {self.n_pairs} pairs), "
                       f"p = {self.p_value:.3g}")
        else:
            out.append("\nfewer than two strata with cases: no gap to measure")
        if self.untagged:
            out.append(f"{self.untagged} case(s) without tag {self.tag!r} left out")
        if self.skipped:
            out.append(f"left out (no valid sample): {', '.join(self.skipped)}")
        return "\n".join(out)


def fairness(run: Mapping[str, Any], tag: str) -> FairnessReport:
    """Pass rate per value of `tag` and the largest multiplicity-corrected gap between strata."""
    strata: dict[str, list[list[float]]] = defaultdict(list)
    untagged = 0
    skipped: list[str] = []
    for case in rv.cases(run):
        value = rv.tag(case, tag)
        if value is None:
            untagged += 1
            continue
        values = rv.pass_values(case)
        if not values:
            skipped.append("/".join(rv.key(case)))
            continue
        strata[value].append(values)
    if not strata and not skipped:
        raise InputError(f"no case in the run has the tag {tag!r}", field="tag")
    result = stats.max_gap({k: strata[k] for k in sorted(strata)})
    return FairnessReport(tag, dict(result.estimates), result.pair, result.gap, result.p_value,
                          result.n_pairs, untagged, tuple(skipped), result.largest_lower)


GapOn = Literal["ci_low", "mean", "ci_high"]
MIN_STRATUM_CASES = 5


def check_max_gap(run: Mapping[str, Any], tag: str, max_gap: float, on: GapOn = "ci_low",
                  min_cases: int = MIN_STRATUM_CASES) -> tuple[bool, str]:
    """Gate check on the largest gap between strata of `tag`; what is compared with max_gap:

    - `ci_low` (default): the largest multiplicity-corrected lower bound of a pair's gap — fails
      only on a gap shown beyond max_gap (a gap-free suite fails at most alpha of the time);
      fails closed when a stratum has fewer than `min_cases` cases, too few to show anything;
    - `mean`: the observed largest gap — biased upward (the maximum of many noisy differences:
      74% of gap-free 5 x 40 suites exceed 0.10);
    - `ci_high`: the corrected upper bound — passes only when the data show every gap is small.
    """
    if on not in ("ci_low", "mean", "ci_high"):
        raise InputError(f"`on` must be 'ci_low', 'mean' or 'ci_high', got {on!r}", field="on")
    if isinstance(max_gap, bool) or not isinstance(max_gap, (int, float)) or not 0.0 <= max_gap <= 1.0:
        raise InputError(f"max_gap must be a number in [0, 1], got {max_gap!r}", field="max_gap")
    report = fairness(run, tag)
    if report.gap is None or report.pair is None:
        return True, f"fairness {tag}: fewer than two strata with cases, no gap to check"
    small = {k: e.n_cases for k, e in report.strata.items() if 0 < e.n_cases < min_cases}
    if on == "ci_low" and small:
        listed = ", ".join(f"{k} ({n})" for k, n in sorted(small.items()))
        return False, (f"fairness {tag}: too few cases to judge a gap of {max_gap:g}: {listed}; "
                       f"need at least {min_cases} per stratum")
    value = {"ci_low": report.largest_lower, "mean": report.gap.mean, "ci_high": report.gap.ci_high}[on]
    passed = value <= max_gap
    best, worst = report.pair
    message = (f"fairness {tag}: gap {best} - {worst} = {report.gap.mean:.3f} "
               f"[{report.gap.ci_low:.3f}, {report.gap.ci_high:.3f}], "
               f"{'largest corrected lower bound' if on == 'ci_low' else on} {value:.3f} "
               f"{'<=' if passed else '>'} {max_gap:g}")
    return passed, message
