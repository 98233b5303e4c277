"""`gradeloop synth SPEC.yaml`: generate, filter, dedupe and mix synthetic training data."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from gradeloop.data.registry import ENV_PATH


def register(app: typer.Typer) -> None:
    @app.command("synth")
    def synth_cmd(
        spec: Path = typer.Argument(..., help="SPEC.yaml (format: examples/synth/spec.yaml)"),
        registry: Optional[Path] = typer.Option(None, "--registry", envvar=ENV_PATH,
                                                help="Dataset registry; default: the spec's, else .gradeloop/data.db"),
        allow_contaminated: bool = typer.Option(False, "--allow-contaminated",
                                                help="Keep a pool that repeats evaluation cases (recorded)"),
        workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Processes for the dedupe scans"),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the provenance JSON here"),
    ) -> None:
        """Spec → generate → filter → dedupe → mix; the output is registered with its provenance."""
        from gradeloop.data.registry import Registry
        from gradeloop.data.synth import load_spec, run_synth
        from gradeloop.targets.judge import judge_factory

        parsed = load_spec(spec)
        reg = Registry(registry or parsed.registry)
        try:
            result = run_synth(parsed, registry=reg, allow_contaminated=allow_contaminated,
                               judge_factory=judge_factory, workers=workers)
        finally:
            reg.close()
        p = result.provenance
        if json_out:
            from gradeloop.cli.common import write_json

            write_json(json_out, {"id": result.record.id, "output": str(result.output), "rows": result.rows, **p})
        console = Console()
        gen = p["generated"]
        teacher = gen.get("teacher")
        console.print(f"generated {gen['total']} row(s): {gen['templates']} from templates"
                      + (f", {teacher['rows']} from the teacher ({teacher['errors']} errors, "
                         f"{teacher['unparseable']} unparseable, {teacher['empty']} empty)" if teacher else ""))
        for name, info in p["filters"].items():
            extra = f" ({', '.join(f'{k}: {v}' for k, v in info['kinds'].items())})" if info.get("kinds") else ""
            console.print(f"  filter {name}: removed {info['removed']}{extra}")
        d = p["dedupe"]
        console.print(f"  dedupe: {d['within']} within the set, {d['train']} against training data, "
                      f"{d['eval']} against {len(p['eval_suites'])} evaluation suite(s)")
        if p["contamination_override"]:
            console.print(f"  [yellow]pool repeats evaluation cases ({p['contamination_override']['hits']} hits); "
                          "kept because --allow-contaminated (recorded)[/yellow]")
        mix = p["mix"]
        table = Table(title=f"mix: {mix['synthetic_rows']} synthetic of {mix['synthetic_available']} available, "
                            f"{mix['pool_rows']} pool rows, share {mix['share']:.1%} (max {mix['max_share']:.0%})",
                      title_justify="left")
        for col in ("slice", "pool", "synthetic", "share"):
            table.add_column(col, justify="left" if col == "slice" else "right")
        for key, s in mix["slices"].items():
            table.add_row(key, str(s["pool"]), str(s["synthetic"]), f"{s['share']:.1%}")
        console.print(table)
        console.print(f"wrote {result.rows} row(s) to {result.output}; registered {result.record.id}"
                      + (f" (synthetic rows: {result.synthetic_record.id})" if result.synthetic_record else ""))
