"""Calibrators that map a raw confidence to a calibrated probability.

Temperature and Platt scaling are logistic regressions on logit(confidence) (without and
with an intercept); isotonic regression is a monotone step fit. Fitting uses scikit-learn;
a fitted calibrator is a few numbers saved as JSON (never pickle) and predicts with numpy.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from gradeloop.files import atomic_write_text
from gradeloop.errors import InputError

SCHEMA = "gradeloop.calibrator/v1"
KINDS = ("temperature", "platt", "isotonic")
Kind = Literal["temperature", "platt", "isotonic"]
_EPS = 1e-6  # keeps logit finite at confidences of exactly 0 or 1


def _logit(conf: np.ndarray) -> np.ndarray:
    p = np.clip(conf, _EPS, 1.0 - _EPS)
    return np.log(p) - np.log1p(-p)


@dataclass(frozen=True)
class Calibrator:
    """A fitted calibrator: `kind` and its parameters (slope/intercept, or isotonic knots)."""

    kind: Kind
    params: dict[str, Any]

    def predict(self, conf: Any) -> np.ndarray:
        """Calibrated probabilities for raw confidences in [0, 1]."""
        x = np.asarray(conf, dtype=float)
        if self.kind == "isotonic":
            return np.interp(x, self.params["x"], self.params["y"])
        z = self.params["slope"] * _logit(x) + self.params["intercept"]
        return 1.0 / (1.0 + np.exp(-z))

    def as_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "kind": self.kind, "params": self.params}

    def save(self, path: str | Path) -> None:
        """Write the calibrator as JSON, atomically."""
        atomic_write_text(path, json.dumps(self.as_dict(), indent=2))

    @classmethod
    def load(cls, path: str | Path) -> "Calibrator":
        """Read and validate a calibrator JSON file."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"cannot read calibrator: {exc}", file=str(path)) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: Any, source: str | None = None) -> "Calibrator":
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise InputError(f"not a calibrator (schema must be {SCHEMA})", file=source, field="schema")
        kind, params = data.get("kind"), data.get("params")
        if kind not in KINDS:
            raise InputError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}", file=source, field="kind")
        if not isinstance(params, dict):
            raise InputError("params must be an object", file=source, field="params")
        keys = ("x", "y") if kind == "isotonic" else ("slope", "intercept")
        for key in keys:
            value = params.get(key)
            values = value if isinstance(value, list) else [value]
            if kind == "isotonic" and not values:
                raise InputError("isotonic knots must not be empty", file=source, field=f"params.{key}")
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values):
                raise InputError("must be finite numbers", file=source, field=f"params.{key}")
        if kind == "isotonic" and (len(params["x"]) != len(params["y"]) or np.any(np.diff(params["x"]) < 0)):
            raise InputError("isotonic x must be sorted and as long as y", file=source, field="params.x")
        return cls(kind, {k: params[k] for k in keys})


def fit_calibrator(kind: str, conf: Any, correct: Any) -> Calibrator:
    """Fit a calibrator of `kind` (temperature | platt | isotonic) on confidences and 0/1 outcomes."""
    x = np.asarray(conf, dtype=float).ravel()
    y = np.asarray(correct).astype(int).ravel()
    if kind not in KINDS:
        raise InputError(f"calibrator must be one of {', '.join(KINDS)}, got {kind!r}", field="calibrator")
    if len(x) != len(y) or len(x) < 2:
        raise InputError("fitting needs at least two samples with one label each", field="conf")
    if y.min() == y.max():
        raise InputError("fitting needs both correct and incorrect samples", field="correct")
    if kind == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(x, y)
        return Calibrator("isotonic", {"x": [float(v) for v in iso.X_thresholds_],
                                       "y": [float(v) for v in iso.y_thresholds_]})
    from sklearn.linear_model import LogisticRegression

    # C=inf: a plain maximum-likelihood fit; temperature scaling has no intercept (slope = 1/T)
    lr = LogisticRegression(C=np.inf, fit_intercept=kind == "platt").fit(_logit(x)[:, None], y)
    return Calibrator(kind, {"slope": float(lr.coef_[0, 0]),  # type: ignore[arg-type]
                             "intercept": float(lr.intercept_[0]) if kind == "platt" else 0.0})
