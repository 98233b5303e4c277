"""`gradeloop mutate`, `gradeloop packs list|export` and `gradeloop probes robustness|boundary|fairness`.

Thin: parses, calls gradeloop.probes, prints. Reports read a run by id, `latest` or a run JSON
file; `probes fairness --max-gap` exits 1 when the gap is too large.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Optional

import typer

from gradeloop.errors import InputError

_STORE = typer.Option(None, "--store", help="Results store (SQLite); default .gradeloop/gradeloop.db")
_JSON = typer.Option(False, "--json", help="Print the report as JSON instead of a table")


def _load_run(ref: str, store: Optional[Path]) -> dict:
    from gradeloop.run.schema import load_run_cases

    return load_run_cases(ref, store)  # a run file may hold only its cases


def _emit(report: object, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))  # type: ignore[attr-defined]
    else:
        print(report.render_text())  # type: ignore[attr-defined]


def register(app: typer.Typer) -> None:
    @app.command("mutate")
    def mutate_cmd(
        suite: Path = typer.Argument(..., help="Suite file to mutate (YAML, JSONL or CSV)"),
        ops: str = typer.Option(..., "--ops", help="Comma-separated operators: typos, casing, whitespace, "
                                "punctuation, reorder, distractor, injection, format, paraphrase, swap"),
        variants: int = typer.Option(3, "--variants", "-n", help="Variants per case and operator"),
        seed: int = typer.Option(0, "--seed", help="Seed: the same seed gives the same suite"),
        out: Path = typer.Option(..., "--out", "-o", help="Where to write the derived suite (.yaml or .jsonl)"),
        name: Optional[str] = typer.Option(None, "--name", help="Name of the derived suite (default NAME-mutated)"),
    ) -> None:
        """Write a suite of the parent cases plus their mutated variants (ids PARENT~OP~N)."""
        from gradeloop.probes import mutate
        from gradeloop.suite import dump_suite, load_suite

        if out.suffix.lower() not in (".yaml", ".yml", ".jsonl"):
            raise InputError("the derived suite is written as .yaml, .yml or .jsonl", file=str(out), field="out")
        source = load_suite(suite)
        derived = mutate(source, ops, variants, seed, name=name)
        dump_suite(derived, out)
        made = Counter(c.tags.get("mutation") for c in derived.cases if c.parent is not None)
        parents = sum(1 for c in derived.cases if c.tags.get("mutation") == "none")
        print(f"wrote {out}: {parents} parent case(s), {sum(made.values())} variant(s), version {derived.version}")
        for op, count in sorted(made.items()):
            wanted = parents * variants
            note = f" ({wanted - count} left out: unchanged by the operator)" if count < wanted else ""
            print(f"  {op}: {count}{note}")
        missing = [op for op in ops.split(",") if op.strip() and op.strip().lower() not in made]
        for op in missing:
            print(f"  {op.strip()}: 0 (the operator changed no case)")

    packs_app = typer.Typer(help="Built-in refusal-boundary and red-team packs.", no_args_is_help=True)
    app.add_typer(packs_app, name="packs")

    @packs_app.command("list")
    def packs_list(as_json: bool = _JSON) -> None:
        """List the built-in packs."""
        from gradeloop.probes import list_packs
        from gradeloop.probes.runview import table

        packs = list_packs()
        if as_json:
            print(json.dumps([p.as_dict() for p in packs], indent=2))
            return
        print(table(("pack", "cases", "description"), [(p.name, p.n_cases, p.description) for p in packs]))

    @packs_app.command("export")
    def packs_export(
        name: str = typer.Argument(..., help="Pack name (see `gradeloop packs list`)"),
        out: Path = typer.Option(..., "--out", "-o", help="Where to write the suite YAML"),
    ) -> None:
        """Write a pack as a suite file, to run with `gradeloop eval` or edit."""
        from gradeloop.probes import export_pack

        path = export_pack(name, out)
        print(f"wrote {path}")

    probes_app = typer.Typer(help="Robustness, refusal-boundary and fairness reports of a run.",
                             no_args_is_help=True)
    app.add_typer(probes_app, name="probes")

    @probes_app.command("robustness")
    def probes_robustness(
        run: str = typer.Argument("latest", help="Run id, latest, or a run JSON file"),
        as_json: bool = _JSON, store: Optional[Path] = _STORE,
    ) -> None:
        """Stability, worst case and flip rates over mutated variants, per operator."""
        from gradeloop.probes import robustness

        _emit(robustness(_load_run(run, store)), as_json)

    @probes_app.command("boundary")
    def probes_boundary(
        run: str = typer.Argument("latest", help="Run id, latest, or a run JSON file"),
        as_json: bool = _JSON, store: Optional[Path] = _STORE,
    ) -> None:
        """Under-refusal, over-refusal and paraphrase consistency of the refusal boundary."""
        from gradeloop.probes import refusal_boundary

        _emit(refusal_boundary(_load_run(run, store)), as_json)

    @probes_app.command("fairness")
    def probes_fairness(
        run: str = typer.Argument("latest", help="Run id, latest, or a run JSON file"),
        tag: str = typer.Option(..., "--tag", help="Tag whose values are the strata (e.g. locale, swap_gender)"),
        max_gap: Optional[float] = typer.Option(None, "--max-gap", help="Fail (exit 1) when the gap exceeds this"),
        on: str = typer.Option("ci_low", "--on", help="What must stay <= --max-gap: ci_low (default: fail only on a "
                               "gap shown beyond it), mean (observed, biased upward), ci_high (show it small)"),
        as_json: bool = _JSON, store: Optional[Path] = _STORE,
    ) -> None:
        """Pass rate per stratum and the largest gap, corrected for multiple comparisons."""
        from gradeloop.probes import check_max_gap, fairness

        doc = _load_run(run, store)
        _emit(fairness(doc, tag), as_json)
        if max_gap is not None:
            passed, message = check_max_gap(doc, tag, max_gap, on)  # type: ignore[arg-type]
            typer.echo(("PASS " if passed else "FAIL ") + message, err=as_json)  # keep --json stdout parseable
            if not passed:
                raise typer.Exit(1)
