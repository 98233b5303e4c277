"""Robustness of a run over mutated variants: stability, worst case and flips, per operator.

A case's verdict is pass when its pass rate is >= 0.5 (with one sample: that sample's
pass/fail). For each parent with variants: stability = share of variants whose verdict equals
the parent's; worst case = the lowest pass rate among the parent and its variants; flip rates =
share of variants that fail under a passing parent (pass->fail) and that pass under a failing
parent (fail->pass). Each is an Estimate over parent cases, the variants of a parent being its
clustered samples, so a parent with many variants does not count as many independent cases.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from gradeloop.probes import runview as rv
from gradeloop.stats import Estimate, estimate


@dataclass(frozen=True, slots=True)
class Flip:
    """A variant whose verdict differs from its parent's."""

    suite: str
    parent: str
    variant: str
    op: str
    direction: str  # "pass->fail" | "fail->pass"
    parent_pass_rate: float
    variant_pass_rate: float

    def as_dict(self) -> dict[str, Any]:
        return {"suite": self.suite, "parent": self.parent, "variant": self.variant, "op": self.op,
                "direction": self.direction, "parent_pass_rate": self.parent_pass_rate,
                "variant_pass_rate": self.variant_pass_rate}


@dataclass(frozen=True, slots=True)
class RobustnessStats:
    """Robustness figures over a set of parents (all operators, or one)."""

    n_parents: int
    n_variants: int
    stability: Estimate | None
    worst_case: Estimate | None
    flip_pass_to_fail: Estimate | None
    flip_fail_to_pass: Estimate | None
    parent_pass_rate: Estimate | None
    variant_pass_rate: Estimate | None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"n_parents": self.n_parents, "n_variants": self.n_variants}
        for name in ("stability", "worst_case", "flip_pass_to_fail", "flip_fail_to_pass",
                     "parent_pass_rate", "variant_pass_rate"):
            est = getattr(self, name)
            out[name] = est.as_dict() if est is not None else None
        return out


@dataclass(frozen=True, slots=True)
class RobustnessReport:
    """Overall and per-operator robustness, the flipping variants, and cases left out."""

    overall: RobustnessStats
    by_operator: Mapping[str, RobustnessStats]
    flips: tuple[Flip, ...]
    skipped: tuple[str, ...]  # "suite/id" of parents or variants without a valid sample
    orphans: tuple[str, ...] = ()  # "suite/id" of variants whose parent is not in the run

    def as_dict(self) -> dict[str, Any]:
        return {"verdict_threshold": rv.VERDICT_THRESHOLD, "overall": self.overall.as_dict(),
                "by_operator": {op: s.as_dict() for op, s in self.by_operator.items()},
                "flips": [f.as_dict() for f in self.flips], "skipped": list(self.skipped),
                "orphans": list(self.orphans)}

    def render_text(self) -> str:
        rows = [(name, s.n_parents, s.n_variants, rv.fmt_estimate(s.stability), rv.fmt_estimate(s.worst_case),
                 rv.fmt_estimate(s.flip_pass_to_fail), rv.fmt_estimate(s.flip_fail_to_pass))
                for name, s in [("all", self.overall), *self.by_operator.items()]]
        out = [rv.table(("operator", "parents", "variants", "stability", "worst case", "flip pass->fail",
                         "flip fail->pass"), rows)]
        if self.flips:
            out.append(f"\n{len(self.flips)} flipping variant(s):")
            out += [f"  {f.direction}  {f.variant}  ({f.parent_pass_rate:.2f} -> {f.variant_pass_rate:.2f})"
                    for f in self.flips]
        if self.skipped:
            out.append(f"\nleft out (no valid sample): {', '.join(self.skipped)}")
        if self.orphans:
            out.append(f"\nvariants whose parent is not in the run: {', '.join(self.orphans)}")
        return "\n".join(out)


def operator_of(case: Mapping[str, Any]) -> str:
    """The mutation operator of a variant: its `mutation` tag, else the OP in `PARENT~OP~N`."""
    op = rv.tag(case, "mutation")
    if op and op != "none":
        return op
    parts = case["id"].rsplit("~", 2)
    return parts[1] if len(parts) == 3 else "unknown"


def _maybe(per_case: Sequence[Sequence[float]]) -> Estimate | None:
    return estimate(per_case) if per_case else None


def _stats(families: Sequence[tuple[Mapping[str, Any], float, Sequence[float]]]) -> RobustnessStats:
    """Figures over (parent, parent pass rate, variant pass rates) families."""
    stability, worst, p2f, f2p, parent_rates, variant_rates = [], [], [], [], [], []
    for parent, p_rate, v_rates in families:
        p_pass = p_rate >= rv.VERDICT_THRESHOLD
        v_pass = [r >= rv.VERDICT_THRESHOLD for r in v_rates]
        stability.append([1.0 if v == p_pass else 0.0 for v in v_pass])
        worst.append([min([p_rate, *v_rates])])
        (p2f if p_pass else f2p).append([1.0 if v != p_pass else 0.0 for v in v_pass])
        parent_rates.append(rv.pass_values(parent) or [p_rate])
        variant_rates.append(list(v_rates))
    return RobustnessStats(len(families), sum(len(v) for _, _, v in families), _maybe(stability), _maybe(worst),
                           _maybe(p2f), _maybe(f2p), _maybe(parent_rates), _maybe(variant_rates))


def robustness(run: Mapping[str, Any]) -> RobustnessReport:
    """Stability, worst-case pass rate and flip rates of a run that holds parents and their variants."""
    all_cases = rv.cases(run)
    by_key = {rv.key(c): c for c in all_cases}
    children: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    orphans: list[str] = []
    for c in all_cases:
        parent = c.get("parent")
        if parent and (rv.key(c)[0], parent) in by_key:
            children[(rv.key(c)[0], parent)].append(c)
        elif parent:
            orphans.append("/".join(rv.key(c)))
    skipped: list[str] = []
    flips: list[Flip] = []
    overall: list[tuple[Mapping[str, Any], float, list[float]]] = []
    per_op: dict[str, list[tuple[Mapping[str, Any], float, list[float]]]] = defaultdict(list)
    for pkey, variants in children.items():
        parent = by_key[pkey]
        p_rate = rv.pass_rate(parent)
        if p_rate is None:
            skipped.append("/".join(pkey))
            continue
        rates_by_op: dict[str, list[float]] = defaultdict(list)
        for v in variants:
            v_rate = rv.pass_rate(v)
            if v_rate is None:
                skipped.append("/".join(rv.key(v)))
                continue
            op = operator_of(v)
            rates_by_op[op].append(v_rate)
            if (v_rate >= rv.VERDICT_THRESHOLD) != (p_rate >= rv.VERDICT_THRESHOLD):
                direction = "pass->fail" if p_rate >= rv.VERDICT_THRESHOLD else "fail->pass"
                flips.append(Flip(pkey[0], pkey[1], v["id"], op, direction, p_rate, v_rate))
        if not rates_by_op:
            continue
        overall.append((parent, p_rate, [r for rates in rates_by_op.values() for r in rates]))
        for op, rates in rates_by_op.items():
            per_op[op].append((parent, p_rate, rates))
    return RobustnessReport(_stats(overall), {op: _stats(per_op[op]) for op in sorted(per_op)},
                            tuple(flips), tuple(skipped), tuple(orphans))
