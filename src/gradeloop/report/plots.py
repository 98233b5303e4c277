"""SVG figures for the HTML report, drawn with matplotlib (Agg, text as paths).

Text is drawn as paths, so a slice or suite name can never become markup inside the SVG.
"""
from __future__ import annotations

import io
import re
from typing import Sequence


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "path", "font.size": 9, "svg.hashsalt": "gradeloop"})
    return plt


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    _plt().close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # drop the XML prolog and doctype: inline SVG in HTML
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)


def bars_with_errors(labels: Sequence[str], means: Sequence[float], lows: Sequence[float],
                     highs: Sequence[float], title: str, xlabel: str = "pass rate") -> str:
    """Horizontal bars with 95% interval whiskers, one per label."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 0.32 * len(labels) + 1.0))
    ys = list(range(len(labels)))[::-1]
    # max(0, …): an interval end can sit a rounding error inside its mean
    err = [[max(0.0, m - lo) for m, lo in zip(means, lows)], [max(0.0, hi - m) for m, hi in zip(means, highs)]]
    ax.barh(ys, means, xerr=err, color="#5b8def", ecolor="#333", capsize=3, height=0.6)
    ax.set_yticks(ys, labels)
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig)


def forest(labels: Sequence[str], means: Sequence[float], lows: Sequence[float], highs: Sequence[float],
           colors: Sequence[str], title: str, margin: float | None = None) -> str:
    """Forest plot of paired differences (candidate − baseline) with intervals."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 0.32 * len(labels) + 1.0))
    ys = list(range(len(labels)))[::-1]
    for y, m, lo, hi, col in zip(ys, means, lows, highs, colors):
        ax.plot([lo, hi], [y, y], color=col, lw=2)
        ax.plot([m], [y], "o", color=col)
    ax.axvline(0, color="#333", lw=1)
    if margin:
        ax.axvline(-margin, color="#c33", lw=1, ls="--")
    ax.set_yticks(ys, labels)
    ax.set_xlabel("candidate − baseline")
    ax.set_title(title, loc="left")
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig)


def lines_with_bands(x: Sequence[float], series: dict[str, tuple[list[float], list[float], list[float]]],
                     title: str, xlabel: str, ylabel: str, markers: dict[str, list[bool]] | None = None) -> str:
    """Several estimates over x (e.g. tuning iterations), each with an interval band."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    for name, (mean, low, high) in series.items():
        line, = ax.plot(x, mean, marker="o", label=name)
        ax.fill_between(x, low, high, alpha=0.15, color=line.get_color())
        if markers and name in markers:
            for xi, yi, hollow in zip(x, mean, markers[name]):
                if hollow:
                    ax.plot([xi], [yi], "x", color="#c33", markersize=9)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # iterations are whole numbers
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _svg(fig)
