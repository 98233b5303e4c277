"""Estimates with honest intervals, paired comparison, sequential tests, power, multiplicity.

Stats know nothing of graders or runs: inputs are per-case lists of per-sample values in
[0, 1] (or per-case differences), outputs are numbers and small frozen dataclasses.
"""
from gradeloop.stats.estimate import Estimate, estimate, midp_interval, wilson_interval
from gradeloop.stats.gap import GapResult, max_gap
from gradeloop.stats.multiple import benjamini_hochberg, bonferroni, holm
from gradeloop.stats.paired import PairedResult, paired_difference
from gradeloop.stats.passk import estimate_pass_at_k, estimate_pass_hat_k, pass_at_k, pass_hat_k
from gradeloop.stats.power import (VarianceParts, minimum_detectable_effect, paired_variance_parts,
                                   required_cases, variance_parts)
from gradeloop.stats.sequential import Decision, SequentialPairedTest

__all__ = [
    "Decision", "Estimate", "GapResult", "PairedResult", "SequentialPairedTest", "VarianceParts",
    "benjamini_hochberg", "bonferroni", "estimate", "estimate_pass_at_k", "estimate_pass_hat_k",
    "holm", "max_gap", "midp_interval", "minimum_detectable_effect", "paired_difference", "paired_variance_parts",
    "pass_at_k", "pass_hat_k", "required_cases", "variance_parts", "wilson_interval",
]
