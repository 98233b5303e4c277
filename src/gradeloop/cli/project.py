"""`gradeloop project` (what gradeloop.yaml defines) and `gradeloop --version`."""
from __future__ import annotations

import json
from typing import Optional

import typer


def _version(value: bool) -> None:
    if value:
        import gradeloop

        print(f"gradeloop {gradeloop.__version__}")
        raise typer.Exit(0)


def register(app: typer.Typer) -> None:
    @app.callback()
    def root(version: Optional[bool] = typer.Option(  # noqa: UP045 (typer reads the annotation)
            None, "--version", callback=_version, is_eager=True, help="Print the version and exit")) -> None:
        """Unit benchmarks for LLM features: evaluate, gate and tune with the same graders."""

    @app.command("project")
    def project_cmd(as_json: bool = typer.Option(False, "--json", help="Print as JSON")) -> None:
        """Show the project file in use: its targets (as specs), judge, store, policies and suites."""
        from gradeloop.errors import InputError
        from gradeloop.project import PROJECT_FILE, describe, load_project

        project = load_project()
        if project is None:
            raise InputError(f"no {PROJECT_FILE} here or in a parent folder (gradeloop init writes one)")
        info = describe(project)
        if as_json:
            print(json.dumps(info, indent=2))
            return
        print(f"project file: {info['file']}")
        for name, spec in info["targets"].items():
            mark = " (default)" if name == info["default_target"] else ""
            print(f"  target {name}{mark}: {spec}")
        for key in ("judge", "store", "env_file"):
            if info[key]:
                print(f"  {key}: {info[key]}")
        for name, path in info["policies"].items():
            print(f"  policy {name}: {path}")
        if info["suites"]:
            print(f"  suites: {', '.join(info['suites'])}")
