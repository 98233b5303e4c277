"""Rates of a window or slice as Estimates: one sample per request, so plain binomial (mid-p exact) intervals.

Denominators differ on purpose: the error rate is over all requests; the pass rate over the
requests that got a verdict (no request error, no grader error); the refusal rate over the
requests that have an output. Grader errors are counted, never scored as a pass or a fail.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gradeloop.monitor.scoring import Scored
from gradeloop.stats import Estimate, midp_interval
from gradeloop.stats.estimate import t_interval


def proportion(k: int, n: int, level: float = 0.95) -> Estimate:
    """k of n as an Estimate: the interval and stderr `stats.estimate` gives one sample per case."""
    if n <= 0:
        return Estimate(0.0, 0.0, 0.0, 1.0, 0, 0, level)
    p = k / n
    stderr = math.sqrt(p * (1.0 - p) / (n - 1)) if n > 1 else 0.0
    lo, hi = midp_interval(p, n, level)
    return Estimate(p, stderr, lo, hi, n, n, level)


def mean_estimate(n: int, total: float, total_sq: float, level: float = 0.95) -> Estimate | None:
    """Mean of n non-negative values with a Student-t interval floored at 0; None below two values."""
    if n < 2:
        return None
    mean = total / n
    var = max(total_sq - n * mean * mean, 0.0) / (n - 1)
    stderr = math.sqrt(var / n)
    lo, hi = t_interval(mean, stderr, n, level, 0.0, math.inf)
    return Estimate(mean, stderr, lo, hi, n, n, level)


@dataclass(slots=True)
class RateCounts:
    """Running counts of one window or slice; constant memory however many requests."""

    n: int = 0
    errors: int = 0
    graded: int = 0
    passed: int = 0
    grader_errors: int = 0
    answered: int = 0
    refused: int = 0
    latency_n: int = 0
    latency_sum: float = 0.0
    latency_sq: float = 0.0
    logged_calls: int = 0  # requests whose log line records tool calls (possibly none)
    called: int = 0  # of those, requests with at least one call
    call_failed: int = 0  # of those, requests with at least one failed call

    def add(self, s: Scored) -> None:
        self.n += 1
        if s.error:
            self.errors += 1
        elif s.passed is None:
            self.grader_errors += 1
        else:
            self.graded += 1
            self.passed += s.passed
        if s.refused is not None:
            self.answered += 1
            self.refused += s.refused
        if s.tool_calls is not None:
            self.logged_calls += 1
            self.called += s.tool_calls > 0
            self.call_failed += s.tool_call_failures > 0
        if s.latency_s is not None:
            self.latency_n += 1
            self.latency_sum += s.latency_s
            self.latency_sq += s.latency_s * s.latency_s

    def estimates(self, level: float = 0.95) -> dict[str, Estimate]:
        """pass_rate, refusal_rate, error_rate, (with two or more latencies) latency_s and, for logs that
        record tool calls, tool_call_rate (requests with a call) and tool_call_failure_rate (of those,
        requests with a failed call)."""
        out = {"pass_rate": proportion(self.passed, self.graded, level),
               "refusal_rate": proportion(self.refused, self.answered, level),
               "error_rate": proportion(self.errors, self.n, level)}
        latency = mean_estimate(self.latency_n, self.latency_sum, self.latency_sq, level)
        if latency is not None:
            out["latency_s"] = latency
        if self.logged_calls:  # only for logs that record tool calls
            out["tool_call_rate"] = proportion(self.called, self.logged_calls, level)
            out["tool_call_failure_rate"] = proportion(self.call_failed, self.called, level)
        return out

    def as_dict(self, level: float = 0.95) -> dict[str, Any]:
        return {"n": self.n, "grader_errors": self.grader_errors,
                "rates": {k: e.as_dict() for k, e in self.estimates(level).items()}}
