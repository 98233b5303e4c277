"""The sequential gate: sample the candidate in rounds, stop early when the answer is clear, and end
with the fixed test on every case.

A group-sequential design with two parts, their false-alarm rates adding up to alpha:

- interim looks (after every round): the anytime-valid betting test (stats.SequentialPairedTest)
  spends `interim_share` of alpha on stopping early for a regression beyond the margin, and stops
  early for "no regression" when that is shown at alpha (an early pass can only be wrong when a
  regression exists, at most alpha of the time);
- the last look, when the suite's cases run out: `compare`'s own decision (gate.judge_scopes,
  overall scope) at the remaining alpha, so at the suite's full size the gate has nearly the
  power of a fixed `compare` (bench/sequential_gate.py prints both) instead of the betting test's
  alone (33% vs 80% at 200 cases and a 10-point drop).

The verdict is pass / fail / inconclusive like compare's; errors and missing outputs count against
the candidate, and a run that errors beyond the policy stops at once.
"""
from __future__ import annotations

import asyncio
import dataclasses
import random
from typing import Any, Callable, Sequence

from gradeloop.errors import InputError
from gradeloop.gate.compare import ScopeData, _values, judge_scopes
from gradeloop.gate.partial import PartialRunError, partial_reasons
from gradeloop.gate.policy import GatePolicy
from gradeloop.gate.verdict import ErrorCount, Verdict, case_errors, judge_errors, passes
from gradeloop.api import aexecute
from gradeloop.run import RunConfig, Store, build_run_json
from gradeloop.stats import SequentialPairedTest, required_cases
from gradeloop.stats.power import paired_variance_parts
from gradeloop.suite import Suite, suite_version
from gradeloop.targets.base import Target

SEQUENTIAL_SCHEMA = "gradeloop.sequential/v1"
INTERIM_SHARE = 0.2  # of alpha, spent on early regression stops; the rest on the last look


@dataclasses.dataclass(frozen=True, slots=True)
class Design:
    """How alpha is split between the interim betting test and the last, fixed look."""

    alpha: float = 0.05
    margin: float = 0.02
    interim_share: float = INTERIM_SHARE

    @property
    def alpha_interim(self) -> float:
        return self.alpha * self.interim_share

    @property
    def alpha_final(self) -> float:
        return self.alpha - self.alpha_interim

    def betting_test(self) -> SequentialPairedTest:
        return SequentialPairedTest(alpha=self.alpha_interim, margin=self.margin, alpha_no_regression=self.alpha)


def final_look(base: list[list[float]], cand: list[list[float]], policy: GatePolicy, design: Design,
               cand_errors: ErrorCount | None = None, base_errors: ErrorCount | None = None) -> dict[str, Any]:
    """compare's overall decision on every case used, at the alpha the interim looks left over."""
    pol = policy.model_copy(update={"alpha": design.alpha_final, "margin": design.margin})
    return judge_scopes({"all": ScopeData(base, cand, cand_errors, base_errors)}, pol)["all"]


def _subset(suites: Sequence[Suite], keys: set[tuple[str, str]]) -> list[Suite]:
    out = []
    for s in suites:
        cases = tuple(c for c in s.cases if (s.name, c.id) in keys)
        if cases:
            part = dataclasses.replace(s, cases=cases)
            out.append(dataclasses.replace(part, version=suite_version(part)))
    return out


def sequential_gate(baseline: dict[str, Any], suites: Sequence[Suite], target: Target, store: Store, *,
                    alpha: float = 0.05, margin: float = 0.02, effect: float = 0.03, power: float = 0.8,
                    round_size: int = 25, seed: int = 0, config: RunConfig | None = None,
                    judge_factory: Any = None, on_round: Callable[[dict], None] | None = None,
                    policy: GatePolicy | None = None, allow_partial: bool = False,
                    executor: Callable[[], Any] | None = None) -> dict[str, Any]:
    """Run rounds until the interim test decides, the errors rule a pass out, or the cases run out.

    `executor` makes each round's executor (e.g. `lambda: make_executor("ray")`); default local."""
    policy = (policy or GatePolicy()).model_copy(update={"alpha": alpha, "margin": margin, "power": power})
    if not allow_partial and (reasons := partial_reasons(baseline)):
        raise PartialRunError(f"baseline run {baseline.get('run_id', '?')} is partial: {'; '.join(reasons)} "
                              "(use --allow-partial to gate against it anyway)", field="baseline")
    design = Design(alpha=alpha, margin=margin)
    base_cases = {(c["suite"], c["id"]): c for c in baseline["cases"]}
    base_vals = {k: v for k, c in base_cases.items() if (v := _values(c, "pass_rate"))}
    order = [(s.name, c.id) for s in suites for c in s.cases if (s.name, c.id) in base_cases]
    if not order:
        raise InputError("the suites share no case with the baseline run", field="suites")
    random.Random(seed).shuffle(order)  # a random order makes the running estimate unbiased
    config = config or RunConfig(samples=int(baseline.get("samples_per_case", 1)), seed=seed)
    b_spc = int(baseline.get("samples_per_case") or 1)
    test = design.betting_test()
    rounds: list[dict] = []
    used_b: list[list[float]] = []
    used_c: list[list[float]] = []
    seen: list[tuple[str, str]] = []
    errs = {"cand": ErrorCount(), "base": ErrorCount()}
    stop: dict[str, Any] = {"errors": None}

    async def go() -> None:
        try:
            for start in range(0, len(order), round_size):
                chunk = order[start:start + round_size]
                outcome = await aexecute(_subset(suites, set(chunk)), target, store, config,
                                         judge_factory=judge_factory, close_target=False,
                                         executor=executor() if executor is not None else None)
                run = build_run_json(store, outcome.run_id)
                cand_cases = {(c["suite"], c["id"]): c for c in run["cases"]}
                for key in chunk:  # the shuffled order, one update per case
                    seen.append(key)
                    errs["cand"] = errs["cand"] + case_errors(cand_cases.get(key), config.samples)
                    errs["base"] = errs["base"] + case_errors(base_cases[key], b_spc)
                    cv = _values(cand_cases[key], "pass_rate") if key in cand_cases else []
                    bv = base_vals.get(key)
                    if not cv or not bv:
                        continue  # no paired evidence for this case; its errors are counted above
                    used_b.append(bv)
                    used_c.append(cv)
                    if test.decision == "continue":
                        test.update(sum(cv) / len(cv) - sum(bv) / len(bv))
                stop["errors"] = judge_errors("all", errs["cand"], errs["base"],
                                              max_error_rate=policy.max_error_rate,
                                              max_error_increase=policy.max_error_increase)
                info = {"round": len(rounds) + 1, "run_id": outcome.run_id, "cases_used": len(used_b),
                        "cases_seen": len(seen), "decision": test.decision,
                        "confidence_sequence": list(test.confidence_sequence()),
                        "error_rate": errs["cand"].rate}
                rounds.append(info)
                if on_round:
                    on_round(info)
                if test.decision != "continue" or stop["errors"] is not None:
                    return
        finally:
            await target.aclose()

    asyncio.run(go())
    finished = len(seen) == len(order)
    look = None
    if test.decision == "regression":
        verdict, stage = Verdict.FAIL, "interim"
        reasons = [f"the anytime-valid test shows a drop beyond the margin {margin:.3f} after {test.n} cases"]
    elif test.decision == "no_regression" and stop["errors"] is None:
        verdict, stage = Verdict.PASS, "interim"
        reasons = [f"the anytime-valid test rules out a drop beyond the margin {margin:.3f} after {test.n} cases"]
    else:
        stage = "final" if finished else "stopped"
        look = final_look(used_b, used_c, policy, design, errs["cand"], errs["base"])
        verdict, reasons = Verdict(look["verdict"]), list(look["reasons"])
        if not finished and verdict is Verdict.PASS:  # stopped on errors before the last look
            verdict = Verdict.INCONCLUSIVE
    if stop["errors"] is not None and verdict is not Verdict.FAIL:
        verdict = Verdict(stop["errors"].verdict) if stop["errors"].verdict is Verdict.FAIL else Verdict.INCONCLUSIVE
        reasons = list(stop["errors"].reasons) + reasons
    to_decide = None
    if verdict is Verdict.INCONCLUSIVE:
        to_decide = (stop["errors"].to_decide if stop["errors"] is not None else None) or (look or {}).get("to_decide")
    fixed = None
    if len(used_b) >= 2:
        parts = paired_variance_parts(used_b, used_c)
        fixed = (required_cases(effect, parts.between, parts.within, max(1, round(parts.samples_per_case)),
                                alpha=alpha, power=power, one_sided=True, margin=margin)
                 if effect > margin else None)  # a drop within the margin is never a failure to detect
    decision = test.decision if test.decision != "continue" else "undecided"
    low, high = test.confidence_sequence()
    return {
        "schema": SEQUENTIAL_SCHEMA,
        "baseline": {"run_id": baseline["run_id"], "target": baseline["target"]},
        "candidate": {"spec": target.spec, "fingerprint": target.fingerprint()},
        "alpha": alpha, "margin": margin, "effect": effect,
        "design": {"alpha_interim": design.alpha_interim, "alpha_final": design.alpha_final,
                   "alpha_early_pass": design.alpha, "round_size": round_size},
        "decision": decision,
        "stage": stage,
        "final_look": look,
        "verdict": verdict.value,
        "passed": passes(verdict, policy.on_inconclusive),
        "on_inconclusive": policy.on_inconclusive,
        "reasons": reasons,
        "to_decide": to_decide,
        "errors": errs["cand"].as_dict(),
        "cases_used": len(used_b), "cases_seen": len(seen), "cases_available": len(order),
        "fixed_design_cases": fixed,
        "confidence_sequence": {"low": low, "high": high},
        "mean_difference": (sum(sum(c) / len(c) - sum(b) / len(b) for b, c in zip(used_b, used_c)) / len(used_b)
                            if used_b else None),
        "rounds": rounds,
    }
