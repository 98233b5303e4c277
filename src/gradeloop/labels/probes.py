"""Probes of a judge on a stored run: re-judge the same outputs to see the judge's own noise and
its verbosity bias, apart from the model's generation noise.

- **Noise**: every probed output is judged K times. Outputs whose K verdicts disagree are the
  judge's flip rate; the mean within-output variance of the verdicts is the judge's variance, and
  the variance between a case's samples (their mean verdicts, less the judge's share σ²/K) is the
  generation variance. Only the judge's share would vanish with a better judge.
- **Verbosity**: each output is judged once more with neutral padding appended (sentences that
  add nothing). A judge that flips fail→pass on padding rewards length, not content.
- **Position swap** needs a pairwise judge (two outputs in one prompt); gradeloop's llm_judge
  grades one output, so there is no position to swap and this probe reports nothing for it.

Outputs come from the store and graders from the run's suite files (as `regrade` does); nothing
is generated and no recorded grade is changed.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from gradeloop.errors import InputError
from gradeloop.graders import build_graders
from gradeloop.graders.base import JudgeFactory
from gradeloop.labels.validate import Rate, proportion
from gradeloop.run.store import Store

PADDING = ("This answer has been written with care and attention to detail. "
           "It considers the question from several angles before settling on a response. "
           "The explanation above is complete, and nothing further needs to be added to it. ")


@dataclass(frozen=True, slots=True)
class JudgeProbe:
    """What re-judging the same outputs showed."""

    grader: str
    run_id: str
    n_outputs: int
    repeats: int
    noise_flip: Rate  # outputs whose K verdicts disagree
    judge_variance: float | None
    generation_variance: float | None
    recorded_agreement: Rate  # first re-judge == the recorded verdict
    padded_fail_to_pass: Rate  # of outputs failed unpadded, passed when padded
    padded_pass_to_fail: Rate
    position_swap: str = "not applicable: the grader judges one output at a time"
    errors: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"schema": "gradeloop.judge_probe/v1", "grader": self.grader, "run_id": self.run_id,
                "n_outputs": self.n_outputs, "repeats": self.repeats, "noise_flip": self.noise_flip.as_dict(),
                "judge_variance": self.judge_variance, "generation_variance": self.generation_variance,
                "recorded_agreement": self.recorded_agreement.as_dict(),
                "padded_fail_to_pass": self.padded_fail_to_pass.as_dict(),
                "padded_pass_to_fail": self.padded_pass_to_fail.as_dict(), "position_swap": self.position_swap,
                "errors": self.errors, "notes": self.notes}


def pad(output: str, words: int) -> str:
    """`output` with about `words` words of content-free padding after it."""
    unit = PADDING.split()
    filler = " ".join(unit[i % len(unit)] for i in range(max(words, 0)))
    return f"{output}\n\n{filler}" if filler else output


def _suites(store: Store, run_id: str) -> dict:
    from gradeloop.run.regrade import recorded_suites

    return recorded_suites(store, run_id)


def probe_judge(store: Store, run_id: str, grader: str, *, judge_factory: JudgeFactory | None = None,
                repeats: int = 3, pad_words: int = 120, limit: int = 200, seed: int = 0) -> JudgeProbe:
    """Re-judge up to `limit` stored outputs of `run_id` with `grader`: K times plain, once padded."""
    if repeats < 2:
        raise InputError("at least 2 repeats are needed to see the judge's noise", field="repeats")
    suites = _suites(store, run_id)
    cases = {(name, c.id): c for name, suite in suites.items() for c in suite.cases}
    picked = []
    for r in store.samples(run_id):
        if r.output is None or r.error_kind == "target" or (r.suite, r.case_id) not in cases:
            continue
        recorded = next((g for g in r.grades if g.get("grader") == grader and g.get("error") is None), None)
        rank = hashlib.sha256(f"{seed}:{r.suite}:{r.case_id}".encode()).hexdigest()  # whole cases, seeded order
        picked.append((rank, r.sample_index, r, recorded))
    picked.sort(key=lambda x: (x[0], x[1]))
    picked = picked[:limit]
    if not picked:
        raise InputError(f"run {run_id} has no stored output to re-judge", field="run")
    built: dict = {}
    verdicts: list[list[float]] = []
    padded: list[float] = []
    keys: list[tuple[str, str]] = []
    recorded_agree = recorded_n = errors = 0
    for _rank, _i, r, recorded in picked:
        key = (r.suite, r.case_id)
        case = cases[key]
        if key not in built:
            suite = suites[r.suite]
            found = [g for g in build_graders(suite, case, judge_factory=judge_factory) if g.name == grader]
            built[key] = found[0] if found else None
        g = built[key]
        if g is None:
            continue
        grades = [g.grade(case, r.output) for _ in range(repeats)]
        extra = g.grade(case, pad(r.output, pad_words))
        if any(x.error for x in grades) or extra.error:
            errors += 1
            continue
        vs = [1.0 if x.passed else 0.0 for x in grades]
        verdicts.append(vs)
        padded.append(1.0 if extra.passed else 0.0)
        keys.append(key)
        if recorded is not None and recorded.get("passed") is not None:
            recorded_n += 1
            recorded_agree += int(bool(recorded["passed"]) == (vs[0] == 1.0))
    if not verdicts:
        raise InputError(f"no output of run {run_id} has a grade by {grader!r} that could be re-judged",
                         field="--grader")
    arr = np.array(verdicts)
    flips = int(np.sum(arr.min(axis=1) != arr.max(axis=1)))
    judge_var = float(arr.var(axis=1, ddof=1).mean())
    by_case: dict[tuple[str, str], list[float]] = defaultdict(list)
    for key, row in zip(keys, arr):
        by_case[key].append(float(row.mean()))
    between = [float(np.var(v, ddof=1)) for v in by_case.values() if len(v) > 1]
    notes = []
    if between:
        gen_var: float | None = max(float(np.mean(between)) - judge_var / repeats, 0.0)
    else:
        gen_var = None
        notes.append("one probed sample per case: generation noise needs runs with --samples > 1")
    first = arr[:, 0]
    pads = np.array(padded)
    failed, passed = first == 0.0, first == 1.0
    return JudgeProbe(
        grader=grader, run_id=run_id, n_outputs=len(verdicts), repeats=repeats,
        noise_flip=proportion(flips, len(verdicts), 0.95), judge_variance=judge_var, generation_variance=gen_var,
        recorded_agreement=proportion(recorded_agree, recorded_n, 0.95),
        padded_fail_to_pass=proportion(int(np.sum(pads[failed] == 1.0)), int(failed.sum()), 0.95),
        padded_pass_to_fail=proportion(int(np.sum(pads[passed] == 0.0)), int(passed.sum()), 0.95),
        errors=errors, notes=notes)
