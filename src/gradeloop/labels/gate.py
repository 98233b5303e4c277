"""The gate's `validated_judges` check: a judge's verdicts gate only after it passed validation.

A gate policy lists the judges it relies on, each with a labels file and a κ bar
(`validated_judges: [{grader: judge, labels: labels.jsonl, min_kappa: 0.6}]`). Each adds a check
to the comparison: pass when κ's lower bound on those labels reaches the bar, fail when it does
not, inconclusive when the labels are too few to tell (fail closed: the gate does not pass).
"""
from __future__ import annotations

from gradeloop.labels.records import read_labels_file
from gradeloop.labels.validate import validate_grader


def judge_check(grader: str, labels_path: str, min_kappa: float) -> tuple[str, str]:
    """(verdict, message) of one validated-judge requirement; a missing or bad file is an InputError."""
    labels = read_labels_file(labels_path)
    r = validate_grader(labels, grader, min_kappa=min_kappa)
    if r.kappa.value is None or r.kappa.ci_low is None:
        figures = "κ undefined"
    else:
        figures = f"κ {r.kappa.value:.3f} [{r.kappa.ci_low:.3f}, {r.kappa.ci_high:.3f}]"
    message = f"{figures} on {r.n_labels} human label(s) from {labels_path}; required lower bound ≥ {min_kappa}"
    if r.reasons:
        message += ": " + "; ".join(r.reasons)
    return r.verdict, message
