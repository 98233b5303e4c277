"""`gradeloop tune` and `gradeloop adapters`: tuning with every iteration gated."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.table import Table

from gradeloop.cli.common import STORE_OPT, open_store, write_json
from gradeloop.report.terminal import fmt_estimate

if TYPE_CHECKING:
    from gradeloop.tune.registry import AdapterRegistry

ADAPTERS_OPT = typer.Option(None, "--adapters", help="Adapter registry folder (default .gradeloop/adapters)")


def _registry(path: Optional[Path]) -> "AdapterRegistry":
    from gradeloop.tune.registry import DEFAULT_ADAPTERS, AdapterRegistry

    return AdapterRegistry(path or DEFAULT_ADAPTERS)


def render_tune(doc: dict, console: Console) -> None:
    table = Table(title=f"tune {doc['tune_id']} · {doc['strategy']} on {doc['base']['spec']}", title_justify="left")
    for col in ("iter", "focus dev", "holdout", "train reward", "train s", "eval s", "decision"):
        table.add_column(col, justify="left" if col == "decision" else "right")
    b = doc["baseline"]
    table.add_row("base", fmt_estimate(b["focus"]), fmt_estimate(b["holdout"]), "", "", "", "")
    for it in doc["iterations"]:
        reward = it.get("train_reward") or []
        rw = f"{reward[0]:.2f}→{reward[-1]:.2f}" if reward else ""
        decision = f"[green]kept[/green] {it['adapter']}" if it["kept"] else "[red]rolled back[/red]: " + "; ".join(
            it.get("reasons", []))
        table.add_row(str(it["iteration"]), fmt_estimate(it.get("focus")), fmt_estimate(it.get("holdout")), rw,
                      f"{it['wall_time_s']['train']:.0f}", f"{it['wall_time_s']['eval']:.0f}", decision)
    console.print(table)
    console.print("[dim]train reward: mean reward of the first → last training step, on training prompts and "
                  "noisy from batch to batch; keep or roll back is decided by the gate on the dev split and the "
                  "guards, never by it.[/dim]")
    final = doc["final"]
    console.print(f"stopped: {doc['stopped_because']}; final adapter: {final['adapter'] or '(base model)'}")
    if final["holdout_improvement"]:
        console.print(f"holdout improvement (final − base, 95% CI): "
                      f"[bold]{fmt_estimate(final['holdout_improvement'])}[/bold]")
    for name, g in final["guard_changes"].items():
        console.print(f"guard {name}: {fmt_estimate(g['diff']) if g['diff'] else '–'} ({g['verdict']})")


def register(app: typer.Typer) -> None:
    @app.command("tune")
    def tune_cmd(
        config: Path = typer.Argument(..., help="Tune config YAML"),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the tune JSON here"),
        store: Optional[Path] = STORE_OPT,
        adapters: Optional[Path] = ADAPTERS_OPT,
        judge: Optional[str] = typer.Option(None, "--judge", help="Judge for graders whose model is `default` or "
                                            "a model name (default: the project's `judge:`)"),
    ) -> None:
        """Tune a model iteration by iteration; each iteration is evaluated and gated, kept or rolled back."""
        from gradeloop.api import make_judge_factory
        from gradeloop.project import load_project
        from gradeloop.tune.config import load_tune_config
        from gradeloop.tune.loop import TuneLoop

        cfg, base_dir = load_tune_config(config)
        console = Console()
        judges = make_judge_factory(judge, load_project())
        st = open_store(store)
        try:
            loop = TuneLoop(cfg, base_dir, st, _registry(adapters), log=lambda m: console.print(f"[dim]{m}[/dim]"),
                            judge_factory=judges)
            doc = loop.run()
            write_json(loop.dir / "tune.json", doc)
        finally:
            st.close()
        if json_out:
            write_json(json_out, doc)
        render_tune(doc, console)

    adapters_app = typer.Typer(help="The adapter registry.", no_args_is_help=True)
    app.add_typer(adapters_app, name="adapters")

    @adapters_app.command("list")
    def list_cmd(adapters: Optional[Path] = ADAPTERS_OPT) -> None:
        """Every kept adapter, oldest first; * marks the current one of its line."""
        reg = _registry(adapters)
        for rec in reg.list():
            mark = "*" if reg.head(rec["name"]) == rec["id"] else " "
            focus = rec.get("metrics", {}).get("focus") or {}
            print(f"{mark} {rec['id']}  {rec['strategy']:6} parent={rec.get('parent') or '(base)'}  "
                  f"focus={focus.get('mean', float('nan')):.3f}")

    @adapters_app.command("show")
    def show_cmd(adapter_id: str, adapters: Optional[Path] = ADAPTERS_OPT) -> None:
        """An adapter's lineage: base, parent, data versions, strategy, hyperparameters, metrics."""
        reg = _registry(adapters)
        print(json.dumps({**reg.show(adapter_id), "path": str(reg.path(adapter_id)),
                          "target": f"hf:{reg.show(adapter_id)['base'].removeprefix('hf:')}+adapter="
                                    f"{reg.path(adapter_id)}"}, indent=2))

    @adapters_app.command("diff")
    def diff_cmd(a: str, b: str, adapters: Optional[Path] = ADAPTERS_OPT) -> None:
        """What differs between two adapters (lineage fields and weight distance)."""
        print(json.dumps(_registry(adapters).diff(a, b), indent=2, default=str))

    @adapters_app.command("rollback")
    def rollback_cmd(name: str, adapters: Optional[Path] = ADAPTERS_OPT) -> None:
        """Point a tuning line back at the current adapter's parent."""
        parent = _registry(adapters).rollback(name)
        print(f"{name} now at {parent or '(base model)'}")
