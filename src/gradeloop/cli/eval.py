"""`gradeloop eval`, `show`, `runs`, `export`, `regrade` and `cache`: running and reading runs."""
from __future__ import annotations

import gc
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

import typer
from rich.console import Console

from gradeloop.cli.common import STORE_OPT, open_store, write_json
from gradeloop.errors import InputError

if TYPE_CHECKING:
    from gradeloop.run import Store


@contextmanager
def lean_gc(first_generation: int = 10_000) -> Iterator[None]:
    """Fewer, cheaper garbage collections while a run makes its many small, acyclic objects.

    `gc.freeze()` takes everything alive at start (imported modules: most of the heap) out of the
    collector's scans, and a higher first-generation threshold makes collections rarer; cycles are
    still collected. Measured on 10,000 samples: ~30 µs/sample less CPU. Restored on exit.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(first_generation, thresholds[0]), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def run_suites(suite_paths: list[Path], target_spec: str, *, samples: int | None = 1, seed: int = 0, concurrency: int = 8,
               temperature: float = 0.0, max_tokens: int = 256, store: Store, use_cache: bool = True,
               progress: bool = True, console: Console | None = None, full: bool = True) -> dict:
    """Load suites, run them against the target and return the run JSON (used by eval, tune and demo).

    With `full=False` it is the run summary (no `cases`, no `graders`): enough for tables and thresholds.
    `samples=None`: as many as the target recorded (a replay file's samples per case), else 1.
    """
    from gradeloop.run import Engine, RunConfig
    from gradeloop.run.results import build_run_json, build_run_summary
    from gradeloop.suite import load_suites
    from gradeloop.targets import SamplingParams, load_target
    from gradeloop.targets.judge import judge_factory

    with lean_gc():
        suites = load_suites([str(p) for p in suite_paths])
        params = SamplingParams(temperature=temperature, max_tokens=max_tokens)
        target = load_target(target_spec, params=params)
        if samples is None:  # a replay target evaluates every recorded sample by default
            samples = int(getattr(target, "recorded_samples", 0) or 1)
        config = RunConfig(samples=samples, seed=seed, concurrency=concurrency, params=params, use_cache=use_cache)
        console = console or Console(stderr=True)
        if progress and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                          TimeRemainingColumn(), console=console, transient=True) as bar:
                task = bar.add_task("sampling", total=None)
                engine = Engine(suites, target, store, config, judge_factory=judge_factory,
                                on_progress=lambda done, total: bar.update(task, completed=done, total=total))
                outcome = engine.run()
        else:
            outcome = Engine(suites, target, store, config, judge_factory=judge_factory).run()
        note = []
        if outcome.resumed:
            note.append(f"resumed: {outcome.already_done} samples were already done")
        if outcome.from_cache:
            note.append(f"{outcome.from_cache} served from cache")
        if note:
            console.print("[dim]" + "; ".join(note) + "[/dim]")
        return build_run_json(store, outcome.run_id) if full else build_run_summary(store, outcome.run_id)


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_cmd(
        suites: list[Path] = typer.Argument(..., help="Suite files or folders (YAML, JSONL, CSV)"),
        target: str = typer.Option(..., "--target", "-t", help="replay:FILE | py:mod:fn | openai:MODEL@URL | hf:PATH"),
        samples: Optional[int] = typer.Option(None, "--samples", "-n", min=1,
                                              help="Samples per case (default: 1; replay: every recorded sample)"),
        seed: int = typer.Option(0, "--seed"),
        concurrency: int = typer.Option(8, "--concurrency", "-c", min=1),
        temperature: float = typer.Option(0.0, "--temperature"),
        max_tokens: int = typer.Option(256, "--max-tokens"),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the run JSON here"),
        store: Optional[Path] = STORE_OPT,
        no_cache: bool = typer.Option(False, "--no-cache", help="Always generate; do not read the cache"),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No tables"),
    ) -> None:
        """Evaluate a target on suites; exit 1 when a suite threshold fails or is inconclusive."""
        from gradeloop.report.terminal import render_errors, render_run

        st = open_store(store)
        try:
            run = run_suites(suites, target, samples=samples, seed=seed, concurrency=concurrency,
                             temperature=temperature, max_tokens=max_tokens, store=st, use_cache=not no_cache,
                             progress=not quiet, full=json_out is not None)
        finally:
            st.close()
        if json_out:
            write_json(json_out, run)
        if not quiet:
            render_run(run, Console())
        render_errors(run.get("error_messages") or [], Console(stderr=True))
        from gradeloop.run.results import threshold_failures

        failed = threshold_failures(run)
        if failed:
            verdicts = {s["name"]: s.get("verdict", "fail") for s in run["suites"]}
            err = Console(stderr=True)
            if fails := [n for n in failed if verdicts[n] == "fail"]:
                err.print(f"[red]threshold failed:[/red] {', '.join(fails)}")
            if unsure := [n for n in failed if verdicts[n] != "fail"]:
                err.print(f"[yellow]inconclusive[/yellow] (errors or missing outputs; never a pass): {', '.join(unsure)}")
            raise typer.Exit(1)

    @app.command("show")
    def show_cmd(run: str = typer.Argument("latest", help="Run id, latest, or a run JSON file"),
                 store: Optional[Path] = STORE_OPT,
                 json_out: Optional[Path] = typer.Option(None, "--json")) -> None:
        """Show a stored run's tables."""
        from gradeloop.report.terminal import render_run
        from gradeloop.run.results import load_run

        data = load_run(run, store)
        if json_out:
            write_json(json_out, data)
        render_run(data, Console())

    @app.command("runs")
    def runs_cmd(store: Optional[Path] = STORE_OPT, limit: int = typer.Option(20, "--limit")) -> None:
        """List stored runs, newest first."""
        st = open_store(store)
        try:
            for m in st.list_runs(limit):
                names = ",".join(s["name"] for s in m["suites"])
                print(f"{m['run_id']}  {m['status']:8} {m['target_spec']}  [{names}]")
        finally:
            st.close()

    @app.command("export")
    def export_cmd(run: str = typer.Argument(..., help="Run id, latest, or a run JSON file"),
                   fmt: str = typer.Option("jsonl", "--format", help="jsonl | parquet"),
                   out: Optional[Path] = typer.Option(None, "--out", help="Output file (default: RUN.FORMAT)"),
                   store: Optional[Path] = STORE_OPT) -> None:
        """Export one row per sample as JSONL or Parquet."""
        from gradeloop.run.results import iter_case_rows, load_run

        data = load_run(run, store)
        rows = list(iter_case_rows(data))
        out = out or Path(f"{data['run_id']}.{fmt}")
        if fmt == "jsonl":
            with out.open("w", encoding="utf-8") as fh:
                for r in rows:
                    fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        elif fmt == "parquet":
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError:
                raise InputError("parquet export needs the 'export' extra (pyarrow)", field="--format") from None
            for r in rows:
                r["tags"] = json.dumps(r["tags"])
                r["grades"] = json.dumps(r["grades"])
                r["signals"] = json.dumps(r["signals"])
            pq.write_table(pa.Table.from_pylist(rows), out)
        else:
            raise InputError(f"unknown format {fmt!r}; use jsonl or parquet", field="--format")
        print(f"wrote {len(rows)} samples to {out}")

    @app.command("regrade")
    def regrade_cmd(run: str = typer.Argument(..., help="Run id or latest"), store: Optional[Path] = STORE_OPT,
                    json_out: Optional[Path] = typer.Option(None, "--json")) -> None:
        """Re-grade a stored run's outputs with the suites' current graders (no generation)."""
        from gradeloop.report.terminal import render_run
        from gradeloop.run.regrade import regrade
        from gradeloop.targets.judge import judge_factory

        st = open_store(store)
        try:
            from gradeloop.run.results import build_run_json, resolve_run_id

            new_id = regrade(st, resolve_run_id(st, run), judge_factory=judge_factory)
            data = build_run_json(st, new_id)
        finally:
            st.close()
        if json_out:
            write_json(json_out, data)
        Console(stderr=True).print(f"[dim]regraded {run} → {new_id} (no generation)[/dim]")
        render_run(data, Console())

    cache_app = typer.Typer(help="The generation cache.", no_args_is_help=True)
    app.add_typer(cache_app, name="cache")

    @cache_app.command("stats")
    def cache_stats(store: Optional[Path] = STORE_OPT) -> None:
        """Entries and size of the generation cache."""
        st = open_store(store)
        try:
            print(json.dumps(st.cache_stats(), indent=2))
        finally:
            st.close()

    @cache_app.command("clear")
    def cache_clear(store: Optional[Path] = STORE_OPT) -> None:
        """Delete every cached generation."""
        st = open_store(store)
        try:
            print(f"cleared {st.cache_clear()} cached generations")
        finally:
            st.close()
