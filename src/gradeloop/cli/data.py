"""`gradeloop data add|list|show|lineage|verify|seal`: the dataset registry from the command line."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gradeloop.data.registry import ENV_PATH, KINDS, DatasetRecord, Registry
from gradeloop.errors import InputError

REGISTRY_OPT = typer.Option(None, "--registry", envvar=ENV_PATH,
                            help="Dataset registry (SQLite); default .gradeloop/data.db")
_SUITE_EXT = (".yaml", ".yml")


def _parent(text: str) -> tuple[str, str]:
    ref, sep, how = text.rpartition(":")
    if not sep or not ref or not how:
        return text, "derived"
    return ref, how


def _meta(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"expected KEY=VALUE, got {pair!r}", field="--meta")
        out[key] = value
    return out


def _short(record: DatasetRecord) -> str:
    return f"{record.id} ({record.kind}{', ' + record.split if record.split else ''})"


def register(app: typer.Typer) -> None:
    data = typer.Typer(no_args_is_help=True, help="Dataset registry: versions, lineage, sealed holdouts.")
    app.add_typer(data, name="data")

    @data.command("add")
    def add_cmd(
        paths: list[Path] = typer.Argument(..., help="Suite or training data files"),
        kind: Optional[str] = typer.Option(None, "--kind", help="suite | train | synthetic (default: suite for "
                                           "YAML, else train)"),
        parent: list[str] = typer.Option([], "--parent", help="ID[:HOW] this data was derived from (repeatable)"),
        name: Optional[str] = typer.Option(None, "--name", help="Dataset name (default: suite name or file stem)"),
        meta: list[str] = typer.Option([], "--meta", help="KEY=VALUE metadata (repeatable)"),
        registry: Optional[Path] = REGISTRY_OPT,
    ) -> None:
        """Register files with their content hash, source, split, time and parents."""
        if kind is not None and kind not in KINDS[:3]:
            raise InputError(f"--kind must be one of {', '.join(KINDS[:3])} (adapters come from the tune loop)",
                             field="--kind")
        with Registry(registry) as reg:
            for path in paths:
                k = kind or ("suite" if path.suffix.lower() in _SUITE_EXT else "train")
                record = reg.add(path, kind=k, parents=[_parent(p) for p in parent], meta=_meta(meta), name=name)
                typer.echo(f"{record.id}  {record.kind}  {record.split or '-'}  {record.source}")

    @data.command("list")
    def list_cmd(
        kind: Optional[str] = typer.Option(None, "--kind", help="Only this kind"),
        json_out: bool = typer.Option(False, "--json", help="Print JSON"),
        registry: Optional[Path] = REGISTRY_OPT,
    ) -> None:
        """Every registered dataset version, oldest first."""
        with Registry(registry) as reg:
            records = reg.list(kind)
        if json_out:
            typer.echo(json.dumps([r.as_dict() for r in records], indent=2, ensure_ascii=False))
            return
        table = Table(title=f"{len(records)} dataset version(s)", title_justify="left")
        for col in ("id", "kind", "split", "created", "parents", "source"):
            table.add_column(col)
        for r in records:
            table.add_row(escape(r.id), r.kind, r.split or "-", r.created_at,
                          escape(", ".join(f"{p} ({h})" for p, h in r.parents)) or "-", escape(r.source or "-"))
        Console().print(table)

    @data.command("show")
    def show_cmd(
        ref: str = typer.Argument(..., help="Dataset id, name (latest version) or file"),
        json_out: bool = typer.Option(False, "--json", help="Print JSON"),
        registry: Optional[Path] = REGISTRY_OPT,
    ) -> None:
        """One dataset version: hash, source, split, parents, children and metadata."""
        with Registry(registry) as reg:
            record = reg.get(ref)
            children = [(s.record.id, s.how) for s in reg.lineage(record.id, "down") if s.depth == 1]
        if json_out:
            typer.echo(json.dumps({**record.as_dict(), "children": [{"id": c, "how": h} for c, h in children]},
                                  indent=2, ensure_ascii=False))
            return
        for label, value in (("id", record.id), ("name", record.name), ("kind", record.kind),
                             ("hash", record.hash), ("split", record.split or "-"),
                             ("source", record.source or "-"), ("created", record.created_at)):
            typer.echo(f"{label:8} {value}")
        for label, edges in (("parents", record.parents), ("children", children)):
            typer.echo(f"{label:8} " + (", ".join(f"{i} ({h})" for i, h in edges) or "-"))
        if record.meta:
            typer.echo("meta     " + json.dumps(record.meta, indent=2, ensure_ascii=False).replace("\n", "\n         "))

    @data.command("lineage")
    def lineage_cmd(
        ref: str = typer.Argument(..., help="Dataset or adapter id, or name"),
        up: bool = typer.Option(False, "--up", help="Only what fed it"),
        down: bool = typer.Option(False, "--down", help="Only what was derived from it"),
        json_out: bool = typer.Option(False, "--json", help="Print JSON"),
        registry: Optional[Path] = REGISTRY_OPT,
    ) -> None:
        """Walk the lineage: up (which data fed this adapter) and down (what was trained on this data)."""
        directions = [d for d, on in (("up", up), ("down", down)) if on] or ["up", "down"]
        with Registry(registry) as reg:
            record = reg.get(ref)
            walks = {d: reg.lineage(record.id, d) for d in directions}
        if json_out:
            typer.echo(json.dumps({"id": record.id, **{d: [{"id": s.record.id, "kind": s.record.kind, "via": s.via,
                                                             "how": s.how, "depth": s.depth} for s in steps]
                                                       for d, steps in walks.items()}}, indent=2))
            return
        typer.echo(_short(record))
        for direction, steps in walks.items():
            arrow = "fed by" if direction == "up" else "feeds"
            typer.echo(f"{direction}:" + ("" if steps else " (nothing)"))
            for s in steps:
                typer.echo(f"{'  ' * s.depth}{arrow} {_short(s.record)}  [{s.how}]")

    @data.command("seal")
    def seal_cmd(
        suites: list[Path] = typer.Argument(..., help="Holdout suite files"),
        registry: Optional[Path] = REGISTRY_OPT,
    ) -> None:
        """Seal holdout suites: record their hash; tuning and synthesis refuse them from now on."""
        from gradeloop.data.holdout import seal

        with Registry(registry) as reg:
            for path in suites:
                record = seal(reg, path)
                typer.echo(f"sealed {record.id}  ({len(record.hash)}-digit hash {record.hash})  {record.source}")

    @data.command("verify")
    def verify_cmd(
        json_out: bool = typer.Option(False, "--json", help="Print JSON"),
        registry: Optional[Path] = REGISTRY_OPT,
    ) -> None:
        """Check every sealed holdout against its file; exit 1 when one changed or is gone."""
        from gradeloop.data.holdout import verify

        with Registry(registry) as reg:
            checks = verify(reg)
        if json_out:
            typer.echo(json.dumps([{"name": c.name, "status": c.status, "sealed": c.sealed.hash,
                                    "current": c.current_hash, "source": c.sealed.source, "detail": c.detail}
                                   for c in checks], indent=2))
        else:
            if not checks:
                typer.echo("no sealed holdouts (seal one with `gradeloop data seal SUITE`)")
            for c in checks:
                typer.echo(f"{'ok' if c.ok else c.status.upper():8} {c.name}  {c.sealed.source}  {c.detail}")
        if any(not c.ok for c in checks):
            raise typer.Exit(1)
