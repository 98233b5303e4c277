"""gradeloop.yaml: named targets become specs, keys stay in the environment, errors name file and line."""
from __future__ import annotations

import os

import pytest

from gradeloop.errors import InputError
from gradeloop.project import TargetEntry, find_project, load_env_file, load_project, resolve_target

PROJECT = """\
default_target: app
targets:
  app: {spec: "py:app:answer"}
  prod:
    provider: openai
    model: gpt-4o-mini
    base_url: http://127.0.0.1:9/v1
    key_env: MY_KEY
    options: {concurrency: 16, logprobs: true}
  local: {provider: hf, model: models/tiny, adapter: adapters/a1}
  recorded: {provider: replay, model: outputs.jsonl}
judge: prod
env_file: .env
policies: {release: policies/release.yaml}
suites: [suites/]
"""


def test_targets_become_specs_holding_the_key_variable_never_the_key(workdir, monkeypatch):
    (workdir / "gradeloop.yaml").write_text(PROJECT)
    (workdir / ".env").write_text("# keys\nMY_KEY='sk-secret-value'\nexport OTHER=1\n")
    for name in ("MY_KEY", "OTHER"):  # set first, so that monkeypatch restores the variables the .env sets
        monkeypatch.setenv(name, "")  # (delenv of an absent variable records nothing: they outlived the test)
        monkeypatch.delenv(name)
    project = load_project()
    assert project is not None and project.root == workdir.resolve()
    spec = resolve_target("prod", project)
    assert spec == "openai:gpt-4o-mini@http://127.0.0.1:9/v1;concurrency=16;logprobs=true;key_env=MY_KEY"
    assert os.environ["MY_KEY"] == "sk-secret-value" and "sk-secret" not in spec
    assert resolve_target("local", project) == "hf:models/tiny+adapter=adapters/a1"
    assert resolve_target("recorded", project) == f"replay:{workdir.resolve() / 'outputs.jsonl'}"
    assert resolve_target("py:other:fn", project) == "py:other:fn"  # specs pass through
    assert project.judge_spec == spec and project.policy("release") == workdir.resolve() / "policies/release.yaml"
    assert project.suites == [workdir.resolve() / "suites"]


def test_env_file_never_overrides_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_KEY", "from-env")
    env = tmp_path / ".env"
    env.write_text("MY_KEY=from-file\n")
    assert load_env_file(env) == [] and os.environ["MY_KEY"] == "from-env"
    env.write_text("MY_KEY=x\nnot a line\n")
    with pytest.raises(InputError) as info:
        load_env_file(env)
    assert info.value.line == 2 and "not a line" not in str(info.value)


def test_unknown_target_names_the_project_targets(workdir):
    (workdir / "gradeloop.yaml").write_text(PROJECT)
    with pytest.raises(InputError, match=r"unknown target spec 'staging'.*app, local, prod, recorded"):
        resolve_target("staging")


def test_bad_project_file_is_one_error_with_its_line(workdir):
    (workdir / "gradeloop.yaml").write_text("targets:\n  app:\n    spec: py:a:b\n    model: x\n")
    with pytest.raises(InputError) as info:
        load_project()
    assert info.value.file.endswith("gradeloop.yaml") and info.value.line == 2 and info.value.field == "targets.app"
    assert "spec" in info.value.message
    (workdir / "gradeloop.yaml").write_text("targetz: {}\n")
    with pytest.raises(InputError, match="unknown field"):
        load_project()


def test_found_from_a_subfolder_or_named_by_env(workdir, monkeypatch):
    (workdir / "gradeloop.yaml").write_text("targets: {}\n")
    sub = workdir / "a" / "b"
    sub.mkdir(parents=True)
    assert find_project(sub) == workdir / "gradeloop.yaml"
    other = workdir / "elsewhere.yaml"
    other.write_text("targets: {}\n")
    monkeypatch.setenv("GRADELOOP_PROJECT", str(other))
    assert find_project(sub) == other


@pytest.mark.parametrize("entry, message", [
    ({}, "either spec or provider"),
    ({"provider": "openai"}, "needs model"),
    ({"provider": "hf", "model": "m", "key_env": "K"}, "apply to provider openai"),
    ({"provider": "openai", "model": "m", "key_env": "sk-abc def"}, "environment variable"),
])
def test_target_entries_are_validated(entry, message):
    with pytest.raises(ValueError, match=message):
        TargetEntry.model_validate(entry)


def test_every_command_reads_the_projects_store(workdir, monkeypatch, capsys):
    from gradeloop.cli import main

    monkeypatch.delenv("GRADELOOP_STORE", raising=False)
    (workdir / "gradeloop.yaml").write_text("store: results/team.db\n")
    (workdir / "s.yaml").write_text("name: s\ncases:\n  - {id: a, input: hi, graders: [{type: contains, value: hi}]}\n")
    (workdir / "r.jsonl").write_text('{"case_id": "a", "output": "hi"}\n')
    assert main(["eval", "s.yaml", "-t", "replay:r.jsonl", "-q"]) == 0
    assert (workdir / "results" / "team.db").is_file() and not (workdir / ".gradeloop" / "gradeloop.db").exists()
    capsys.readouterr()
    assert main(["show", "latest"]) == 0 and main(["runs"]) == 0  # read from the project's store, not the default
    assert "replay:r.jsonl" in capsys.readouterr().out


def test_a_postgres_store_password_stays_out_of_gradeloop_project_and_an_unset_variable_is_named(
        workdir, monkeypatch, capsys):
    from gradeloop.cli import main
    from gradeloop.project import describe

    (workdir / "gradeloop.yaml").write_text(
        "store: postgresql://gl:${GL_TEST_PGPW}@127.0.0.1:5432/evals\n"
        "targets:\n  gw: {spec: 'openai:m@http://user:hunter2@127.0.0.1:9/v1'}\n")
    monkeypatch.setenv("GL_TEST_PGPW", "s3cr3t-pw")
    project = load_project()
    assert project.store == "postgresql://gl:s3cr3t-pw@127.0.0.1:5432/evals"  # what the store opens
    shown = describe(project)
    assert "s3cr3t-pw" not in str(shown) and "hunter2" not in str(shown)
    assert shown["store"] == "postgresql://***@127.0.0.1:5432/evals"
    assert main(["project"]) == 0
    out = capsys.readouterr()
    assert "s3cr3t-pw" not in out.out + out.err and "hunter2" not in out.out + out.err
    monkeypatch.delenv("GL_TEST_PGPW")
    with pytest.raises(InputError, match=r"store: \$\{GL_TEST_PGPW\} is not set"):
        load_project().store  # noqa: B018
    assert main(["runs"]) == 2
    assert "GL_TEST_PGPW} is not set" in capsys.readouterr().err
