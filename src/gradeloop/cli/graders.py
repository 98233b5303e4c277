"""`gradeloop graders`: the grader registry with every parameter's type, default and meaning."""
from __future__ import annotations

import json
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gradeloop.errors import InputError


def _default(p: dict[str, Any]) -> str:
    if p["required"]:
        return "required"
    return "–" if p["default"] is None else json.dumps(p["default"])


def render_docs(docs: list[dict[str, Any]], console: Console, detailed: bool) -> None:
    """A summary table of all graders, or one parameter table per grader when `detailed`."""
    if not detailed:
        table = Table(title="graders (suite YAML `type`)", title_justify="left")
        for col in ("type", "description", "parameters"):
            table.add_column(col, overflow="fold")
        for d in docs:
            own = [p["name"] + ("*" if p["required"] else "") for p in d["parameters"]
                   if p["name"] not in ("name", "weight")]
            table.add_row(d["name"] + (" (OpenAI)" if d["openai"] else ""), escape(d["description"]),
                          escape(", ".join(own)))
        console.print(table)
        console.print("* required. Every grader also takes `name` and `weight`. "
                      "`gradeloop graders TYPE` shows each parameter.")
        render_differences(console)
        return
    for d in docs:
        table = Table(title=escape(f"{d['name']}: {d['description']}"), title_justify="left")
        for col in ("parameter", "type", "default", "description"):
            table.add_column(col, overflow="fold")
        for p in d["parameters"]:
            table.add_row(*(escape(x) for x in (p["name"], p["type"], _default(p), p["description"])))
        console.print(table)


def render_differences(console: Console) -> None:
    """Each deliberate difference from promptfoo, Inspect and OpenAI's graders, one line each."""
    from gradeloop.graders.differences import DIFFERENCES

    console.print("\nDeliberate differences from promptfoo / Inspect / OpenAI graders:")
    for key, line in DIFFERENCES.items():
        console.print(f"- [bold]{escape(key)}[/bold]: {escape(line)}", soft_wrap=True, highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("graders")
    def graders_cmd(
        names: Optional[list[str]] = typer.Argument(None, help="Grader types to describe in full"),
        as_json: bool = typer.Option(False, "--json", help="Print the registry as JSON"),
    ) -> None:
        """List the grader types a suite can use, with their parameters."""
        from gradeloop.graders import grader_docs

        docs = grader_docs()
        if names:
            known = {d["name"] for d in docs}
            unknown = [n for n in names if n not in known]
            if unknown:
                raise InputError(f"unknown grader type {unknown[0]!r} (known: {', '.join(sorted(known))})",
                                 field="graders")
            docs = [d for d in docs if d["name"] in names]
        if as_json:
            typer.echo(json.dumps(docs, indent=2, default=str))
            return
        render_docs(docs, Console(), detailed=bool(names))
