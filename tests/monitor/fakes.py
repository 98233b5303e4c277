"""Small production logs and suites whose truth is known, written on the fly for the monitor tests."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import numpy as np

T0 = 1_700_000_000 - 1_700_000_000 % 86400  # a UTC midnight

SUITE = """\
name: prod
defaults:
  graders:
    - type: not_contains
      values: [bypass]
    - type: length
      unit: words
      max: {max_words}
cases:
  - id: c1
    input: hi
    graders: [{{type: contains, values: [x]}}]
"""


def write_suite(path: Path, max_words: int = 40) -> Path:
    path.write_text(SUITE.format(max_words=max_words))
    return path


def write_log(path: Path, rows: Iterable[Any]) -> Path:
    """One JSON document per row; a str row is written verbatim (for malformed lines)."""
    with path.open("w") as fh:
        for r in rows:
            fh.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
    return path


def rows(n: int, *, seed: int = 0, start: float = T0, spacing: float = 10.0, words: float = 10.0,
         fail: float = 0.05, refuse: float = 0.0, error: float = 0.0, locale_weights=(0.5, 0.5),
         drift_locale: str | None = None, drift_words: float = 10.0, drift_refuse: float = 0.0) -> list[dict]:
    """n requests, one every `spacing` s: answers of ~`words` words; `fail` of them say 'bypass'.

    Requests in `drift_locale` get ~`drift_words` words and refuse with rate `drift_refuse` instead.
    """
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        locale = ["en", "de"][int(rng.choice(2, p=locale_weights))]
        drifted = locale == drift_locale
        k = max(1, int(rng.poisson(drift_words if drifted else words)))
        row: dict[str, Any] = {"timestamp": start + i * spacing, "input": "q", "tags": {"locale": locale},
                               "latency_s": float(rng.lognormal(0, 0.3)), "confidence": float(rng.uniform(0.5, 1))}
        if rng.random() < error:
            row.update(output=None, error="timeout")
        elif rng.random() < (drift_refuse if drifted else refuse):
            row["output"] = "I can't help with that."
        else:
            text = " ".join(["word"] * k)
            row["output"] = ("bypass " + text) if rng.random() < fail else text
        out.append(row)
    return out


def write_config(path: Path, suite: Path, **fields: Any) -> Path:
    """A monitor config YAML (as JSON, which YAML reads) with the suite and the given fields."""
    path.write_text(json.dumps({"suite": str(suite), **fields}, indent=1))
    return path
