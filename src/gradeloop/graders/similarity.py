"""Text similarity to a reference: rapidfuzz ratios, ROUGE-N/L and sentence BLEU/GLEU.

All metrics are offline and in [0, 1]. Fuzzy ratios come from rapidfuzz; ROUGE and BLEU
are the textbook definitions on lower-cased word tokens (ROUGE-L: F1 of the LCS).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Literal

from pydantic import Field
from rapidfuzz import fuzz, utils
from rapidfuzz.distance import LCSseq

from gradeloop.graders.base import Grade
from gradeloop.graders.registry import BuildContext, Params, register

if TYPE_CHECKING:
    from gradeloop.suite.model import Case

_TOKEN = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens, the unit of ROUGE and BLEU here."""
    return _TOKEN.findall(text.casefold())


def _f1(overlap: float, n_pred: int, n_ref: int) -> float:
    if overlap <= 0 or n_pred == 0 or n_ref == 0:
        return 0.0
    p, r = overlap / n_pred, overlap / n_ref
    return 2 * p * r / (p + r)


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1: longest common subsequence of word tokens; 0 when either side has no word (as rouge-score)."""
    pred, ref = tokens(prediction), tokens(reference)
    if not pred or not ref:
        return 0.0
    return _f1(LCSseq.similarity(pred, ref), len(pred), len(ref))


def _ngrams(toks: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))


def rouge_n(prediction: str, reference: str, n: int) -> float:
    """ROUGE-N F1: clipped n-gram overlap."""
    pred, ref = _ngrams(tokens(prediction), n), _ngrams(tokens(reference), n)
    return _f1(sum((pred & ref).values()), sum(pred.values()), sum(ref.values()))


def bleu(prediction: str, reference: str, max_n: int = 4) -> float:
    """Sentence BLEU (Papineni 2002) with add-one smoothing of higher orders (Lin & Och 2004)."""
    pred, ref = tokens(prediction), tokens(reference)
    if not pred or not ref:
        return 0.0
    log_p = 0.0
    for n in range(1, max_n + 1):
        pc, rc = _ngrams(pred, n), _ngrams(ref, n)
        match, total = sum((pc & rc).values()), max(len(pred) - n + 1, 0)
        if n == 1 and match == 0:
            return 0.0
        if n > 1:
            match, total = match + 1, total + 1
        log_p += math.log(match / total) / max_n
    brevity = 1.0 if len(pred) > len(ref) else math.exp(1 - len(ref) / len(pred))
    return brevity * math.exp(log_p)


def gleu(prediction: str, reference: str, max_n: int = 4) -> float:
    """Sentence GLEU (Wu et al. 2016): min of n-gram precision and recall over orders 1..max_n."""
    pred, ref = tokens(prediction), tokens(reference)
    pc = sum((_ngrams(pred, n) for n in range(1, max_n + 1)), Counter())
    rc = sum((_ngrams(ref, n) for n in range(1, max_n + 1)), Counter())
    tp, tpred, tref = sum((pc & rc).values()), sum(pc.values()), sum(rc.values())
    if not tpred or not tref:
        return 0.0
    return min(tp / tpred, tp / tref)


def _fuzz(scorer: Callable[..., float], case_sensitive: bool) -> Callable[[str, str], float]:
    proc = None if case_sensitive else utils.default_process
    return lambda a, b: scorer(a, b, processor=proc) / 100.0


Metric = Literal["fuzz_ratio", "token_set_ratio", "rouge_l"]


def metric_fn(metric: str, case_sensitive: bool = False) -> Callable[[str, str], float] | None:
    """The similarity function for a metric name (ours or OpenAI's), or None if unknown here."""
    if metric in ("fuzz_ratio", "fuzzy_match"):
        return _fuzz(fuzz.ratio, case_sensitive)
    if metric == "token_set_ratio":
        return _fuzz(fuzz.token_set_ratio, case_sensitive)
    if metric == "rouge_l":
        return rouge_l
    if metric == "bleu":
        return bleu
    if metric == "gleu":
        return gleu
    m = re.fullmatch(r"rouge_([1-5])", metric)
    if m:
        n = int(m.group(1))
        return lambda a, b: rouge_n(a, b, n)
    return None


class SimilarityParams(Params):
    """A reference text and how similar the output must be."""

    value: str = Field(description="Reference text (often \"{{ reference }}\").")
    metric: Metric = Field("fuzz_ratio", description="fuzz_ratio or token_set_ratio (rapidfuzz), rouge_l (LCS F1 on words).")
    threshold: float = Field(0.7, ge=0, le=1, description="Passes when similarity >= threshold.")
    case_sensitive: bool = Field(False, description="For the fuzzy metrics: compare case (default: lowercase, drop punctuation).")


@dataclass(frozen=True, slots=True)
class SimilarityGrader:
    """Score = similarity(output, value); passes at or above the threshold."""

    name: str
    weight: float
    value: str
    metric: str
    fn: Callable[[str, str], float]
    threshold: float

    def grade(self, case: "Case", output: str) -> Grade:
        s = min(1.0, max(0.0, float(self.fn(output, self.value))))
        ok = s >= self.threshold
        return Grade(s, ok, f"{self.metric} {s:.3f} (threshold {self.threshold:g})", self.name)


@register("similarity", SimilarityParams, "Score = text similarity to the value (fuzzy ratio or ROUGE-L); passes at or above `threshold`.")
def build_similarity(p: SimilarityParams, ctx: BuildContext) -> SimilarityGrader:
    fn = metric_fn(p.metric, p.case_sensitive)
    assert fn is not None  # the Literal type admits only known metrics
    return SimilarityGrader(p.name or ctx.default_name, p.weight, p.value, p.metric, fn, p.threshold)
