"""Before/after a calibrator: fit on one split of cases, measure both on the held-out split."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gradeloop.calibrate.calibrators import Calibrator, fit_calibrator
from gradeloop.calibrate.dataset import split_by_case
from gradeloop.calibrate.metrics import CalibrationReport, calibration_report


@dataclass(frozen=True)
class CalibratorComparison:
    """The fitted calibrator and the raw and calibrated metrics on held-out cases."""

    calibrator: Calibrator
    fit_fraction: float
    n_fit_cases: int
    n_eval_cases: int
    before: CalibrationReport
    after: CalibrationReport

    def as_dict(self) -> dict[str, Any]:
        strip = ("schema", "signal")
        return {"kind": self.calibrator.kind, "params": self.calibrator.params, "fit_fraction": self.fit_fraction,
                "n_fit_cases": self.n_fit_cases, "n_eval_cases": self.n_eval_cases,
                "before": {k: v for k, v in self.before.as_dict().items() if k not in strip},
                "after": {k: v for k, v in self.after.as_dict().items() if k not in strip}}


def compare_calibrator(kind: str, conf: Any, correct: Any, case_ids: Any, *, fit_fraction: float = 0.5,
                       seed: int = 0, bins: int = 10, n_boot: int = 1000) -> CalibratorComparison:
    """Split cases (seeded), fit `kind` on one side, report raw vs calibrated on the other."""
    x = np.asarray(conf, dtype=float)
    y = np.asarray(correct).astype(bool)
    ids = np.asarray(case_ids, dtype=object)
    fit, held = split_by_case(ids, fit_fraction, seed)
    cal = fit_calibrator(kind, x[fit], y[fit])
    before = calibration_report(x[held], y[held], ids[held], bins, n_boot, seed)
    after = calibration_report(cal.predict(x[held]), y[held], ids[held], bins, n_boot, seed)
    return CalibratorComparison(cal, fit_fraction, len(np.unique(ids[fit])), len(np.unique(ids[held])),
                                before, after)
