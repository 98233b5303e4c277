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

    def as_dict(self) -> dict[str, Any]:
        return {"tag": self.tag, "strata": {k: v.as_dict() for k, v in self.strata.items()},
                "pair": list(self.pair) if self.pair else None,
                "gap": self.gap.as_dict() if self.gap else None, "p_value": self.p_value,
                "n_pairs": self.n_pairs, "untagged": self.untagged, "skipped": list(self.skipped)}

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
                          result.n_pairs, untagged, tuple(skipped))


def check_max_gap(run: Mapping[str, Any], tag: str, max_gap: float,
                  on: Literal["mean", "ci_high"] = "mean") -> tuple[bool, str]:
    """Gate check: the largest gap between strata of `tag` (its mean, or its corrected upper bound) <= max_gap."""
    if on not in ("mean", "ci_high"):
        raise InputError(f"`on` must be 'mean' or 'ci_high', got {on!r}", field="on")
    if isinstance(max_gap, bool) or not isinstance(max_gap, (int, float)) or not 0.0 <= max_gap <= 1.0:
        raise InputError(f"max_gap must be a number in [0, 1], got {max_gap!r}", field="max_gap")
    report = fairness(run, tag)
    if report.gap is None or report.pair is None:
        return True, f"fairness {tag}: fewer than two strata with cases, no gap to check"
    value = report.gap.mean if on == "mean" else report.gap.ci_high
    passed = value <= max_gap
    best, worst = report.pair
    message = (f"fairness {tag}: gap {best} - {worst} = {report.gap.mean:.3f} "
               f"[{report.gap.ci_low:.3f}, {report.gap.ci_high:.3f}], {on} {value:.3f} "
               f"{'<=' if passed else '>'} {max_gap:g}")
    return passed, message
