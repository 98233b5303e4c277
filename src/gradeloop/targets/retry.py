"""Retry policy for HTTP targets: full-jitter backoff, `Retry-After`, and a shared retry budget.

The budget is a token bucket shared by every request of one target (after gRPC's retry
throttling): each retry spends a token, each success earns back a fraction of one. Once the
tokens are spent and requests keep failing, new requests fail fast without a call, except one
probe per `probe_every` seconds, so a dead endpoint cannot wedge a run and a recovered one is
noticed.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Callable, Mapping

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How one request is retried: attempts, exponential backoff bounds and the Retry-After cap."""

    max_attempts: int = 4
    backoff: float = 0.5  # base of the exponential backoff, seconds
    max_backoff: float = 30.0
    max_retry_after: float = 60.0  # a server asking for longer is waited this long, then retried

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random | None = None) -> float:
        """Seconds to wait before attempt `attempt + 1`: the server's Retry-After if given, else full jitter."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return (rng or random).uniform(0.0, ceiling)


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds a response asks us to wait: `retry-after-ms`, `Retry-After` seconds or an HTTP date."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


class RetryBudget:
    """Retries shared by all requests of one target; spent plus failing means fail fast."""

    def __init__(self, retries: int = 100, refill: float = 0.1, probe_every: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(retries)
        self.tokens = float(retries)
        self.refill = refill
        self.probe_every = probe_every
        self._clock = clock
        self._failing = False
        self._last_probe = float("-inf")
        self.last_error: str | None = None

    @property
    def spent(self) -> bool:
        return self.tokens < 1.0

    def spend(self) -> bool:
        """Take one retry from the budget; False when none is left."""
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True

    def succeeded(self) -> None:
        """A request got an answer: earn back part of a retry and close the breaker."""
        self.tokens = min(self.capacity, self.tokens + self.refill)
        self._failing = False

    def failed(self, error: str) -> None:
        """A request failed for an endpoint reason (after whatever retries it was allowed)."""
        self._failing = True
        self.last_error = error

    def admit(self) -> bool:
        """May a new request be sent? No while spent and failing, except one probe per interval."""
        if not (self.spent and self._failing):
            return True
        now = self._clock()
        if now - self._last_probe >= self.probe_every:
            self._last_probe = now
            return True
        return False
