"""Figures of a CalibrationReport: the reliability diagram and the risk-coverage curve.

matplotlib is imported only when a figure is drawn (Agg, no display), and figures are built
with the object API rather than pyplot, so drawing is safe off the main thread. The SVG text
is what the HTML report embeds.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from gradeloop.calibrate.metrics import CalibrationReport


def _figure(ncols: int) -> "Figure":
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2 * ncols, 4.0), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _title(report: "CalibrationReport", what: str) -> str:
    return f"{what} — {report.signal}" if report.signal else what


def draw_reliability(ax: "Axes", report: "CalibrationReport") -> None:
    """Accuracy against mean confidence per equal-mass bin, with the diagonal of perfect calibration."""
    bins = report.reliability
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect")
    ax.plot([b.mean_confidence for b in bins], [b.accuracy for b in bins], marker="o", label="observed")
    for b in bins:
        ax.annotate(str(b.count), (b.mean_confidence, b.accuracy), textcoords="offset points", xytext=(3, -10),
                    fontsize=7, color="grey")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="mean confidence", ylabel="accuracy",
           title=_title(report, f"reliability (ECE {report.ece.mean:.3f})"))
    ax.legend(loc="upper left", fontsize=8)


def draw_risk_coverage(ax: "Axes", report: "CalibrationReport") -> None:
    """Error rate among answered requests as the confidence threshold falls."""
    pts = report.risk_coverage
    ax.step([p.coverage for p in pts], [p.risk for p in pts], where="post")
    ax.set(xlim=(0, 1), ylim=(0, max([p.risk for p in pts] + [0.05]) * 1.05), xlabel="coverage",
           ylabel="selective risk", title=_title(report, f"risk–coverage (AURC {report.aurc.mean:.3f})"))


def _svg(fig: "Figure") -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


def reliability_svg(report: "CalibrationReport") -> str:
    """The reliability diagram as SVG text."""
    fig = _figure(1)
    draw_reliability(fig.add_subplot(), report)
    return _svg(fig)


def risk_coverage_svg(report: "CalibrationReport") -> str:
    """The risk-coverage curve as SVG text."""
    fig = _figure(1)
    draw_risk_coverage(fig.add_subplot(), report)
    return _svg(fig)


def save_calibration_plot(report: "CalibrationReport", path: str | Path) -> None:
    """Both panels side by side in one file; the format follows the extension (png, svg, pdf)."""
    fig = _figure(2)
    left, right = fig.subplots(1, 2)
    draw_reliability(left, report)
    draw_risk_coverage(right, report)
    fig.savefig(str(path), dpi=120)
