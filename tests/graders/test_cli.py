"""`gradeloop graders`: the registry with parameter docs, as tables or JSON; unknown types exit 2."""
from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from gradeloop.cli import graders as graders_cli
from gradeloop.errors import InputError


def _app() -> typer.Typer:
    app = typer.Typer()
    graders_cli.register(app)

    @app.callback()
    def _root() -> None:  # keeps `graders` a named sub-command
        pass

    return app


def test_lists_every_grader():
    result = CliRunner().invoke(_app(), ["graders"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in ("contains_all", "not_contains", "llm_judge", "string_check", "multi"):
        assert name in result.output


def test_details_of_one_grader():
    result = CliRunner().invoke(_app(), ["graders", "regex"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "pattern" in result.output and "required" in result.output and "fullmatch" in result.output
    assert "contains_all" not in result.output


def test_json_output():
    result = CliRunner().invoke(_app(), ["graders", "--json", "numeric"])
    assert result.exit_code == 0
    (doc,) = json.loads(result.output)
    assert doc["name"] == "numeric" and {p["name"] for p in doc["parameters"]} >= {"value", "tolerance"}


def test_unknown_type_is_an_input_error():
    result = CliRunner().invoke(_app(), ["graders", "contians"])
    assert isinstance(result.exception, InputError) and "contains" in str(result.exception)


def test_main_exit_code_two_for_unknown_type(monkeypatch):
    from gradeloop import cli

    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("graders",))
    app = typer.Typer(no_args_is_help=True)
    monkeypatch.setattr(cli, "app", app)

    @app.callback()
    def _root() -> None:
        pass

    assert cli.main(["graders", "nope"]) == 2
    assert cli.main(["graders", "exact"]) == 0


def test_brackets_in_descriptions_are_not_eaten_as_markup():
    result = CliRunner().invoke(_app(), ["graders", "length"], env={"COLUMNS": "200"})
    assert "[min, max]" in result.output and "int | null" in result.output


def test_lists_each_deliberate_difference_on_one_line():
    from gradeloop.graders.differences import DIFFERENCES

    result = CliRunner().invoke(_app(), ["graders"], env={"COLUMNS": "80"})
    assert result.exit_code == 0 and "Deliberate differences" in result.output
    lines = result.output.splitlines()
    for key, text in DIFFERENCES.items():
        assert "\n" not in text
        assert any(line == f"- {key}: {text}" for line in lines), key  # one line, not wrapped
