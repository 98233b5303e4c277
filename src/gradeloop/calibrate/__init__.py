"""Confidence signals, calibration metrics, calibrators, selective answering and tiered policies.

Names load lazily so a serving process can `from gradeloop.calibrate import Policy` without
pulling in numpy, scipy or scikit-learn.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Policy": "policy", "Rule": "policy", "Verify": "policy",
    "compute_signals": "signals", "load_custom_signal": "signals",
    "agreement": "agreement", "normalize_answers": "agreement",
    "SignalData": "dataset", "signal_data": "dataset", "split_by_case": "dataset", "first_per_case": "dataset",
    "CalibrationReport": "metrics", "calibration_report": "metrics",
    "Calibrator": "calibrators", "fit_calibrator": "calibrators",
    "CalibratorComparison": "compare", "compare_calibrator": "compare",
    "SelectiveResult": "selective", "select_threshold": "selective",
    "TieredResult": "tiered", "tiered_policy": "tiered",
    "reliability_svg": "plots", "risk_coverage_svg": "plots", "save_calibration_plot": "plots",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gradeloop.calibrate' has no attribute {name!r}")
    return getattr(importlib.import_module(f"gradeloop.calibrate.{module}"), name)
