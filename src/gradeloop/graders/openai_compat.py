"""OpenAI grader JSON run unchanged: string_check, text_similarity and score_model.

(`python` and `multi` share their type names with ours and accept OpenAI's fields.) `item`
is the case: `{{ item.reference }}` (or the guide's `{{ item.reference_answer }}`),
`{{ item.<metadata field> }}` are filled at build time; `{{ sample.output_text }}`,
`{{ sample.output_json.<path> }}` and `{{ sample.output_tools[i].function.<name|arguments> }}`
come from the generation at grade time. In score_model prompts every sample value is fenced
between nonce markers like the llm_judge's output. A score_model `model` that is an OpenAI model
name is answered by the project's judge (see targets/judge.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gradeloop.graders.base import Grade, JudgeFn
from gradeloop.graders.judge import ask_judge, data_notice, delimit, new_nonce
from gradeloop.graders.verdict import NONCE_KEY
from gradeloop.graders.registry import BuildContext, Params, register
from gradeloop.graders.similarity import metric_fn
from gradeloop.graders.templating import SAMPLE_FIELDS, fill_sample, sample_field_ok, sample_paths

if TYPE_CHECKING:
    from gradeloop.suite.model import Case

_METRICS = ("fuzzy_match", "bleu", "gleu", "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l")
_UNSUPPORTED_METRICS = {
    "cosine": "needs an embedding model, which OpenAI computes server-side; use fuzzy_match, bleu, gleu, "
              "rouge_1..rouge_5 or rouge_l, or an llm_judge",
    "meteor": "needs WordNet data that is not available offline; use bleu, gleu or rouge_l",
}


def _check_sample_templates(value: Any, param: str, ctx: BuildContext) -> None:
    for path in sample_paths(value):
        if not sample_field_ok(path):
            known = ", ".join(f"{{{{ {f} }}}}" for f in SAMPLE_FIELDS)
            ctx.error(f"unknown template field {{{{ {path} }}}} (supported: {known}, with .key and [i] steps)", param)


class StringCheckParams(Params):
    """OpenAI string_check: compare a rendered input with a reference."""

    input: str = Field(description="Usually \"{{ sample.output_text }}\".")
    reference: str = Field(description="Literal text or \"{{ item.reference }}\".")
    operation: Literal["eq", "ne", "neq", "like", "ilike"] = Field(
        description="eq / ne (or neq, as the guide writes it): equal or not; like: contains (case-sensitive); "
                    "ilike: contains, ignoring case.")


@dataclass(frozen=True, slots=True)
class StringCheckGrader:
    """OpenAI's string_check: score 1 when the operation holds, else 0."""

    name: str
    weight: float
    input: str
    reference: str
    operation: str

    def grade(self, case: "Case", output: str) -> Grade:
        a, b = fill_sample(self.input, output), fill_sample(self.reference, output)
        op = self.operation
        ok = (a == b if op == "eq" else a != b if op in ("ne", "neq") else b in a if op == "like"
              else b.casefold() in a.casefold())
        return Grade(1.0 if ok else 0.0, ok, f"{op} {b[:80]!r}: {'true' if ok else 'false'}", self.name)


@register("string_check", StringCheckParams, "OpenAI string_check: eq, ne, like (contains) or ilike (contains, any case).",
          openai=True)
def build_string_check(p: StringCheckParams, ctx: BuildContext) -> StringCheckGrader:
    _check_sample_templates(p.input, "input", ctx)
    _check_sample_templates(p.reference, "reference", ctx)
    return StringCheckGrader(p.name or ctx.default_name, p.weight, p.input, p.reference, p.operation)


class TextSimilarityParams(Params):
    """OpenAI text_similarity: a metric between a rendered input and reference."""

    input: str = Field(description="Usually \"{{ sample.output_text }}\".")
    reference: str = Field(description="Literal text or \"{{ item.reference }}\".")
    evaluation_metric: str = Field(description="fuzzy_match, bleu, gleu, rouge_1..rouge_5, rouge_l "
                                   "(cosine and meteor are rejected: they need data not available offline).")
    pass_threshold: float = Field(0.7, ge=0, le=1, description="Passes when the metric is at or above this.")


@dataclass(frozen=True, slots=True)
class TextSimilarityGrader:
    """OpenAI's text_similarity: score = the metric; passes at the threshold."""

    name: str
    weight: float
    input: str
    reference: str
    metric: str
    fn: Callable[[str, str], float]
    pass_threshold: float

    def grade(self, case: "Case", output: str) -> Grade:
        s = min(1.0, max(0.0, float(self.fn(fill_sample(self.input, output), fill_sample(self.reference, output)))))
        ok = s >= self.pass_threshold
        return Grade(s, ok, f"{self.metric} {s:.3f} (threshold {self.pass_threshold:g})", self.name)


@register("text_similarity", TextSimilarityParams,
          "OpenAI text_similarity: fuzzy_match, bleu, gleu or rouge_* against a reference, with pass_threshold.",
          openai=True)
def build_text_similarity(p: TextSimilarityParams, ctx: BuildContext) -> TextSimilarityGrader:
    if p.evaluation_metric in _UNSUPPORTED_METRICS:
        ctx.error(f"evaluation_metric {p.evaluation_metric!r} {_UNSUPPORTED_METRICS[p.evaluation_metric]}",
                  "evaluation_metric")
    fn = metric_fn(p.evaluation_metric, case_sensitive=True) if p.evaluation_metric in _METRICS else None
    if fn is None:
        ctx.error(f"unknown evaluation_metric {p.evaluation_metric!r} ({', '.join(_METRICS)})", "evaluation_metric")
    _check_sample_templates(p.input, "input", ctx)
    _check_sample_templates(p.reference, "reference", ctx)
    return TextSimilarityGrader(p.name or ctx.default_name, p.weight, p.input, p.reference, p.evaluation_metric, fn,
                                p.pass_threshold)


class _ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = "input_text"
    text: str = ""


class ScoreMessage(BaseModel):
    """One prompt message of a score_model grader."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[_ContentPart]
    type: Literal["message"] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "\n".join(part.text for part in self.content)


class ScoreModelParams(Params):
    """OpenAI score_model: a judge model scores the sample within a range."""

    model: str = Field(description="Target spec of the scoring model, a project target's name, or a model name "
                       "(e.g. o4-mini-2025-04-16) that the project's judge answers.")
    input: list[ScoreMessage] = Field(description="Prompt messages; may use {{ sample.output_text }} and {{ item.* }}.")
    range: tuple[float, float] = Field((0.0, 1.0), description="[min, max] of the model's score.")
    pass_threshold: float | None = Field(None, description="Raw score at or above which the sample passes "
                                         "(default: the middle of the range).")
    sampling_params: dict[str, Any] | None = Field(None, description="Accepted for compatibility; the judge's own "
                                                   "sampling settings apply.")

    @model_validator(mode="after")
    def _check(self) -> "ScoreModelParams":
        lo, hi = self.range
        if not lo < hi:
            raise ValueError(f"range must be [min, max] with min < max, got {list(self.range)}")
        if self.pass_threshold is not None and not lo <= self.pass_threshold <= hi:
            raise ValueError(f"pass_threshold {self.pass_threshold} is outside the range {list(self.range)}")
        if not self.input:
            raise ValueError("`input` must hold at least one message")
        return self


@dataclass(frozen=True, slots=True)
class ScoreModelGrader:
    """OpenAI's score_model, via the caller's judge; every sample value is fenced as data.

    The judge's result is clipped to `range` (as OpenAI does) and normalised to [0, 1] for the
    grade; `score_range` lets `multi` hand a formula the raw result, as OpenAI's multi grader does.
    """

    name: str
    weight: float
    judge: JudgeFn
    messages: tuple[tuple[str, str], ...]  # (role, text with {{ sample.* }} left in)
    score_range: tuple[float, float]
    threshold: float  # normalised to [0, 1]

    @property
    def range(self) -> tuple[float, float]:
        return self.score_range

    def prompt(self, output: str, nonce: str) -> str:
        body = "\n\n".join(f"[{role}]\n" + fill_sample(text, output, lambda v: delimit("OUTPUT", v, nonce))
                            for role, text in self.messages)
        lo, hi = self.score_range
        return (f"{data_notice(nonce)}\n\n{body}\n\nReply with one JSON object and nothing else: "
                f'{{"{NONCE_KEY}": "{nonce}", "reasoning": "<one or two sentences>", '
                f'"result": <a number from {lo:g} to {hi:g}>, "confidence": <0 to 1, how sure you are>}}')

    def grade(self, case: "Case", output: str) -> Grade:
        nonce = new_nonce()
        return ask_judge(self.judge, self.prompt(output, nonce), self.name, score_range=self.score_range,
                         pass_threshold=self.threshold, nonce=nonce, clip=True)


@register("score_model", ScoreModelParams, "OpenAI score_model: a judge model returns a score in `range` "
          "(an OpenAI model name is answered by the project's judge).", openai=True)
def build_score_model(p: ScoreModelParams, ctx: BuildContext) -> ScoreModelGrader:
    for i, m in enumerate(p.input):
        _check_sample_templates(m.text, f"input[{i}].content", ctx)
    lo, hi = p.range
    threshold = 0.5 if p.pass_threshold is None else (p.pass_threshold - lo) / (hi - lo)
    return ScoreModelGrader(p.name or ctx.default_name, p.weight, ctx.judge(p.model),
                            tuple((m.role, m.text) for m in p.input), (lo, hi), threshold)
