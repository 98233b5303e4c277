"""Figures of a calibration report: SVG text for the HTML report, files for --plot."""
from __future__ import annotations

import subprocess
import sys

import numpy as np

from gradeloop.calibrate import calibration_report, reliability_svg, risk_coverage_svg, save_calibration_plot


def _report():
    rng = np.random.default_rng(0)
    conf = rng.uniform(size=300)
    return calibration_report(conf, rng.uniform(size=300) < conf, n_boot=0, signal="confidence")


def test_svg_text():
    for svg in (reliability_svg(_report()), risk_coverage_svg(_report())):
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg and svg.rstrip().endswith("</svg>")


def test_png_file(tmp_path):
    path = tmp_path / "calib.png"
    save_calibration_plot(_report(), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_matplotlib_is_imported_only_when_drawing():
    code = "import sys, gradeloop.calibrate.plots; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
