"""Graders as training signals: GRPO rewards, the rejection filter for SFT, DPO pairs.

One adapter layer over the same grader objects evaluation uses; nothing here re-implements
a check. A grader error gives no reward signal (0.0 reward, and never a kept sample or pair).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from gradeloop.graders import build_graders, combine, safe_grade
from gradeloop.graders.base import Grader, JudgeFactory
from gradeloop.suite.model import Case, Suite


@dataclass(frozen=True)
class GradedCase:
    """A training case with its graders, ready to score completions."""

    case: Case
    graders: tuple[Grader, ...]
    fast: tuple[Callable[[Case, str], float], ...] | None = None  # each grader's score_only, if all have one

    def __post_init__(self) -> None:
        fast = tuple(getattr(g, "score_only", None) for g in self.graders)
        object.__setattr__(self, "fast", fast if fast and all(fast) else None)

    def score(self, output: str) -> tuple[bool | None, float | None]:
        return combine(self.graders, [safe_grade(g, self.case, output) for g in self.graders])

    def reward(self, output: str) -> float:
        """The combined score as a reward (0.0 on a grader error).

        Graders that offer `score_only` (the same check without building a reason) are called
        through it: rewards are computed for every completion of every training step.
        """
        fast = self.fast
        if fast is not None:
            try:
                if len(fast) == 1:
                    return fast[0](self.case, output)
                total = sum(g.weight for g in self.graders)
                if total > 0:
                    return sum(g.weight * f(self.case, output) for g, f in zip(self.graders, fast)) / total
            except Exception:  # fall back to the guarded path, which records the error as no reward
                pass
        _, score = self.score(output)
        return 0.0 if score is None else float(score)


def graded_cases(suites: Sequence[Suite], judge_factory: JudgeFactory | None = None) -> dict[str, GradedCase]:
    """Case id → GradedCase for every case of the suites (ids must be unique across them).

    Judge graders (llm_judge, score_model, refusal with a judge) get their judges from `judge_factory`,
    by default the project's, as evaluation builds them: the reward is the same check.
    """
    if judge_factory is None:
        from gradeloop.targets.judge import judge_factory
    return {c.id: GradedCase(c, build_graders(s, c, judge_factory=judge_factory)) for s in suites for c in s.cases}


def completion_text(completion: Any) -> str:
    """TRL passes plain strings, or message lists for conversational prompts.

    A message with `tool_calls` becomes a Reply carrying them, so tool-call graders reward the
    calls themselves; plain text is read by those graders for the calls it writes.
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], Mapping):
        last = completion[-1]
        text = str(last.get("content") or "")
        if last.get("tool_calls"):
            from gradeloop.tools.calls import Reply, parse_calls

            try:
                return Reply(text, parse_calls(last["tool_calls"]))
            except ValueError:  # a malformed call earns what its text earns
                return text
        return text
    return str(completion)


def reward_function(cases: Mapping[str, GradedCase], *, grader: str | None = None,
                    name: str = "gradeloop") -> Callable[..., list[float]]:
    """A TRL reward function: the combined grader score of each completion (or one grader's score).

    TRL calls it as `f(prompts=..., completions=..., case_id=[...], **other_columns)`; the
    `case_id` column of the training dataset tells which case (and graders) each row is.
    """

    def reward(prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), case_id: Sequence[str] = (),
               **_: Any) -> list[float]:
        if grader is None:
            return [cases[cid].reward(c if isinstance(c, str) else completion_text(c))
                    for cid, c in zip(case_id, completions)]
        out = []
        for cid, completion in zip(case_id, completions):
            gc = cases[cid]
            g = next(g for g in gc.graders if g.name == grader)
            grade = safe_grade(g, gc.case, completion_text(completion))
            out.append(0.0 if grade.error else float(grade.score))
        return out

    reward.__name__ = f"reward_{name if grader is None else grader}"
    return reward


@dataclass(frozen=True)
class Scored:
    case_id: str
    output: str
    passed: bool | None
    score: float | None
    tool_calls: list[dict] | None = None  # the sample's calls as stored ({name, arguments}), when it made any


def rejection_filter(samples: Sequence[Scored]) -> list[Scored]:
    """Keep the samples whose grade passes (grader errors are never kept)."""
    return [s for s in samples if s.passed is True]


def preference_pairs(samples: Sequence[Scored]) -> list[tuple[Scored, Scored]]:
    """(chosen, rejected) per case: a passing output against the failing output with the highest score.

    Close calls teach more than easy wins; a case with no pass or no fail gives no pair.
    One pair per distinct passing output, each against the best-scoring distinct failure.
    """
    by_case: dict[str, list[Scored]] = {}
    for s in samples:
        by_case.setdefault(s.case_id, []).append(s)
    pairs = []
    for group in by_case.values():
        passes = _distinct([s for s in group if s.passed is True])
        fails = sorted(_distinct([s for s in group if s.passed is False]), key=lambda s: -(s.score or 0.0))
        if not passes or not fails:
            continue
        for i, chosen in enumerate(passes):
            pairs.append((chosen, fails[min(i, len(fails) - 1)]))
    return pairs


def _distinct(samples: list[Scored]) -> list[Scored]:
    seen: set[str] = set()
    out = []
    for s in samples:
        key = s.output if not s.tool_calls else s.output + "\x00" + json.dumps(s.tool_calls, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out
