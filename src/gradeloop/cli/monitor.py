"""`gradeloop monitor`: score production logs with the release graders; exit 1 when an alert fires."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gradeloop.cli.common import STORE_OPT, write_json
from gradeloop.report.terminal import fmt_estimate

_RATES = ("pass_rate", "refusal_rate", "error_rate", "latency_s")
_HEADERS = ("pass rate", "refusals", "errors", "latency s")


def _cell(rates: dict[str, Any], name: str, alerted: bool) -> str:
    e = rates.get(name)
    text = "–" if e is None else fmt_estimate(e)
    return f"[bold red]{text}[/bold red]" if alerted else text


def render_window(doc: dict[str, Any], console: Console) -> None:
    """One table per window: all traffic and each slice; cells and lines that alerted in red."""
    flagged = {(a.get("slice"), a.get("metric")) for a in doc["alerts"]}
    title = f"window {doc['index']} · {doc['start']} → {doc['end']} · {doc['n']} requests" \
            + (" · partial" if doc.get("partial") else "")
    table = Table(title=title, title_justify="left")
    table.add_column("slice")
    table.add_column("n", justify="right")
    for header in _HEADERS:
        table.add_column(header, justify="right")
    rows = [("all", doc["n"], doc["rates"])] + [(k, v["n"], v["rates"]) for k, v in doc["slices"].items()]
    for name, n, rates in rows:
        table.add_row(escape(name), str(n), *(_cell(rates, r, (name, r) in flagged) for r in _RATES))
    console.print(table)
    change = doc.get("pass_rate_change")
    if change:
        console.print(f"  pass rate vs baseline {fmt_estimate(change['baseline'])}: {change['diff']:+.3f} "
                      f"(one-sided p {change['p_value']:.2g})")
    drifted = [d for d in doc["drift"] if d["drifted"]]
    if doc["drift"]:
        parts = [f"{d['feature']} PSI {d['psi']:.3f}/{d['psi_threshold'] or 0:.3f} p {d['p_adjusted']:.2g}"
                 for d in doc["drift"]]
        style = "yellow" if drifted else "dim"
        console.print(f"  [{style}]drift: " + escape("; ".join(parts)) + f"[/{style}]")
    for a in doc["alerts"]:
        console.print(f"  [bold red]ALERT[/bold red] {escape(a['rule'])}: {escape(a['message'])}")


def register(app: typer.Typer) -> None:
    @app.command("monitor")
    def monitor_cmd(
        logs: list[Path] = typer.Argument(..., help="Production logs (JSONL, or .jsonl.gz), one request per line"),
        config: Path = typer.Option(..., "--config", "-c", help="Monitor config YAML"),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the monitor JSON here"),
        window: Optional[str] = typer.Option(None, "--window", "-w", help="Override the window: 1h, 1d, or a count"),
        skip_bad: int = typer.Option(0, "--skip-bad", min=0, help="Count and skip up to N bad log lines"),
        store: Optional[Path] = STORE_OPT,
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No tables; the summary line only"),
    ) -> None:
        """Score logged traffic per window: rates, drift vs the baseline, alerts; exit 1 when an alert fires."""
        from gradeloop.monitor import load_monitor_config, run_monitor
        from gradeloop.targets.judge import judge_factory

        cfg = load_monitor_config(config)
        console = Console()
        doc = run_monitor([str(p) for p in logs], cfg, window=window, skip_bad=skip_bad, store=store,
                          judge_factory=judge_factory,
                          on_window=None if quiet else (lambda w: render_window(w, console)))
        if json_out:
            write_json(json_out, doc)
        ingest = doc["ingest"]
        if ingest["bad_lines"]:
            console.print(f"[yellow]skipped {ingest['bad_lines']} bad line(s) of {ingest['lines']}[/yellow]; first: "
                          + escape(ingest["bad_examples"][0]))
        s = doc["summary"]
        if s["alerts"]:
            console.print(f"[bold red]{s['alerts']} alert(s)[/bold red] in {len(s['alerting_windows'])} of "
                          f"{s['windows']} windows: " + escape(", ".join(s["fired"])))
            raise typer.Exit(1)
        console.print(f"[green]no alerts[/green] in {s['windows']} windows ({s['requests']} requests)")
