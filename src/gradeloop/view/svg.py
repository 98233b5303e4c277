"""Inline SVG for the viewer: interval bars (rates) and forest plots (paired differences).

Drawn as strings, without matplotlib, so a page renders in microseconds; every label goes through
html.escape, and the result is marked safe for the autoescaping templates only after that.
"""
from __future__ import annotations

import html
from typing import Sequence

from markupsafe import Markup

ROW = 18
LABEL_W = 220
PLOT_W = 360


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _cut(label: str, n: int = 34) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def interval_bars(rows: Sequence[tuple[str, dict | None]], title: str) -> Markup:
    """One row per (label, estimate dict): a bar to the mean and a whisker over [ci_low, ci_high] on 0..1."""
    shown = [(name, e) for name, e in rows if e and e.get("n_cases")]
    if not shown:
        return Markup("")
    h = ROW * len(shown) + 24
    x = lambda v: LABEL_W + float(v) * PLOT_W
    parts = [f'<svg class="plot" role="img" width="{LABEL_W + PLOT_W + 60}" height="{h}" '
             f'viewBox="0 0 {LABEL_W + PLOT_W + 60} {h}"><title>{_esc(title)}</title>']
    for tick in (0, 0.25, 0.5, 0.75, 1):
        parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="0" y2="{h - 16}" class="grid"/>'
                     f'<text x="{x(tick):.1f}" y="{h - 4}" class="tick">{tick:g}</text>')
    for i, (name, e) in enumerate(shown):
        y = i * ROW + 4
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 11}" class="label">{_esc(_cut(name))}</text>'
                     f'<rect x="{LABEL_W}" y="{y + 2}" width="{float(e["mean"]) * PLOT_W:.1f}" height="{ROW - 8}" '
                     f'class="bar"/><line x1="{x(e["ci_low"]):.1f}" x2="{x(e["ci_high"]):.1f}" y1="{y + 6}" '
                     f'y2="{y + 6}" class="whisker"/><text x="{LABEL_W + PLOT_W + 4}" y="{y + 11}" class="tick">'
                     f'{float(e["mean"]):.2f}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def forest(rows: Sequence[tuple[str, dict | None, str]], title: str) -> Markup:
    """Paired differences (label, diff estimate, verdict): a point and its interval around zero."""
    shown = [(name, d, v) for name, d, v in rows if d]
    if not shown:
        return Markup("")
    lo = min(-0.1, *(float(d["ci_low"]) for _, d, _ in shown))
    hi = max(0.1, *(float(d["ci_high"]) for _, d, _ in shown))
    span = hi - lo
    x = lambda v: LABEL_W + (float(v) - lo) / span * PLOT_W
    h = ROW * len(shown) + 24
    parts = [f'<svg class="plot" role="img" width="{LABEL_W + PLOT_W + 140}" height="{h}" '
             f'viewBox="0 0 {LABEL_W + PLOT_W + 140} {h}"><title>{_esc(title)}</title>',
             f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="0" y2="{h - 16}" class="zero"/>'
             f'<text x="{x(lo):.1f}" y="{h - 4}" class="tick">{lo:+.2f}</text>'
             f'<text x="{x(0):.1f}" y="{h - 4}" class="tick">0</text>'
             f'<text x="{x(hi) - 30:.1f}" y="{h - 4}" class="tick">{hi:+.2f}</text>']
    for i, (name, d, verdict) in enumerate(shown):
        y = i * ROW + 4
        cls = {"pass": "ok", "fail": "bad"}.get(verdict, "unsure")
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 11}" class="label">{_esc(_cut(name))}</text>'
                     f'<line x1="{x(d["ci_low"]):.1f}" x2="{x(d["ci_high"]):.1f}" y1="{y + 7}" y2="{y + 7}" '
                     f'class="whisker {cls}"/><circle cx="{x(d["mean"]):.1f}" cy="{y + 7}" r="4" class="{cls}"/>'
                     f'<text x="{LABEL_W + PLOT_W + 6}" y="{y + 11}" class="tick">{float(d["mean"]):+.3f} '
                     f'{_esc(verdict)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _square(title: str, xlabel: str, ylabel: str, body: list[str], size: int = 260) -> Markup:
    pad = 36
    w = size + pad + 10
    parts = [f'<svg class="plot" role="img" width="{w}" height="{w}" viewBox="0 0 {w} {w}"><title>{_esc(title)}</title>',
             f'<rect x="{pad}" y="10" width="{size}" height="{size}" class="frame"/>']
    for t in (0, 0.5, 1):
        parts.append(f'<text x="{pad + t * size - 6:.1f}" y="{size + 24}" class="tick">{t:g}</text>'
                     f'<text x="{pad - 22}" y="{10 + (1 - t) * size + 4:.1f}" class="tick">{t:g}</text>')
    parts.append(f'<text x="{pad + size / 2 - 30:.1f}" y="{size + 34}" class="tick">{_esc(xlabel)}</text>'
                 f'<text x="2" y="8" class="tick">{_esc(ylabel)}</text>')
    parts += body
    parts.append("</svg>")
    return Markup("".join(parts))


def reliability_diagram(bins: Sequence, size: int = 260) -> Markup:
    """Mean confidence (x) against accuracy (y) per bin; the diagonal is perfect calibration."""
    pad = 36
    x = lambda v: pad + float(v) * size
    y = lambda v: 10 + (1 - float(v)) * size
    top = max((b.count for b in bins), default=1)
    body = [f'<line x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(1):.1f}" y2="{y(1):.1f}" class="zero"/>']
    body += [f'<circle cx="{x(b.mean_confidence):.1f}" cy="{y(b.accuracy):.1f}" r="{2 + 4 * (b.count / top) ** 0.5:.1f}" '
             f'class="ok"><title>{b.count} samples: confidence {b.mean_confidence:.2f}, accuracy {b.accuracy:.2f}'
             f'</title></circle>' for b in bins]
    return _square("reliability diagram", "confidence", "accuracy", body, size)


def risk_coverage_curve(points: Sequence, size: int = 260) -> Markup:
    """Error rate among the answered (y) against the share answered (x), answering the most confident first."""
    pad = 36
    pts = " ".join(f"{pad + p.coverage * size:.1f},{10 + (1 - p.risk) * size:.1f}" for p in points)
    body = [f'<polyline points="{pts}" class="curve"/>'] if pts else []
    return _square("risk-coverage curve", "coverage", "risk", body, size)
