"""The project file, `gradeloop.yaml`: named targets, the default judge, store, policies and key file.

A team writes its endpoints once and says `-t prod` afterwards. Keys are never written here: a
target names the environment variable that holds its key (`key_env`), and `env_file` names a
dotenv-style file (kept out of git) that fills such variables when they are not already set.
The file is found in the current folder or the nearest parent; `GRADELOOP_PROJECT` names another.

```yaml
default_target: app             # what `gradeloop eval` runs on without -t
targets:
  app: {spec: "py:app:answer"}
  prod: {provider: openai, model: gpt-4o-mini, base_url: https://api.openai.com/v1,
         key_env: OPENAI_API_KEY, options: {concurrency: 16}}
judge: prod                      # a target name or a spec; used by llm_judge graders naming no model
store: .gradeloop/gradeloop.db
policies: {release: policies/release.yaml}
env_file: .env
suites: [suites/]                # what `gradeloop eval` runs when given no suite
```
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gradeloop.configfile import load_yaml_config
from gradeloop.errors import InputError

PROJECT_FILE = "gradeloop.yaml"
_SCHEMES = ("replay", "py", "openai", "hf")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetEntry(_Strict):
    """A named target: a full `spec`, or a `provider` with its model, URL, key variable and options."""

    spec: str | None = Field(None, description="A target spec, e.g. py:app:answer or openai:MODEL@URL")
    provider: Literal["openai", "hf", "py", "replay"] | None = Field(
        None, description="Scheme of the target when it is given in parts")
    model: str | None = Field(None, description="Model name (openai), path or id (hf), module:function (py), file")
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    key_env: str | None = Field(None, description="Environment variable holding the API key (never the key)")
    adapter: str | None = Field(None, description="A LoRA adapter folder (hf only)")
    options: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Target options, e.g. concurrency, timeout, max_attempts (openai)")

    @model_validator(mode="after")
    def _one_form(self) -> "TargetEntry":
        if (self.spec is None) == (self.provider is None):
            raise ValueError("give either spec or provider (with model), not both or neither")
        if self.provider is not None and not self.model:
            raise ValueError(f"provider {self.provider!r} needs model")
        if self.spec is not None and (self.model or self.base_url or self.key_env or self.adapter or self.options):
            raise ValueError("with spec, put options in the spec itself")
        if self.provider not in (None, "openai") and (self.base_url or self.key_env or self.options):
            raise ValueError(f"base_url, key_env and options apply to provider openai, not {self.provider!r}")
        if self.adapter and self.provider != "hf":
            raise ValueError("adapter applies to provider hf")
        if self.key_env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.key_env):
            raise ValueError(f"key_env must name an environment variable, got {self.key_env!r}")
        return self

    def to_spec(self) -> str:
        """The spec string this entry stands for (it holds a key's variable name, never a key)."""
        if self.spec is not None:
            return self.spec
        assert self.provider is not None and self.model is not None
        if self.provider == "openai":
            head = f"openai:{self.model}" + (f"@{self.base_url}" if self.base_url else "")
            opts = dict(self.options)
            if self.key_env:
                opts["key_env"] = self.key_env
            return head + "".join(f";{k}={_option(v)}" for k, v in opts.items())
        if self.provider == "hf":
            return f"hf:{self.model}" + (f"+adapter={self.adapter}" if self.adapter else "")
        return f"{self.provider}:{self.model}"


def _option(value: str | int | float | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class ProjectFile(_Strict):
    """What `gradeloop.yaml` may hold; every field is optional."""

    targets: dict[str, TargetEntry] = Field(default_factory=dict)
    default_target: str | None = Field(None, description="The target `gradeloop eval` uses without -t")
    judge: str | None = Field(None, description="Default judge: a target name or a spec")
    store: str | None = Field(None, description="Results store: a SQLite path relative to the project, or a postgresql:// URL")
    policies: dict[str, str] = Field(default_factory=dict, description="Gate policy files by name")
    env_file: str | None = Field(None, description="KEY=VALUE file loaded for missing variables (keys live here)")
    suites: list[str] = Field(default_factory=list, description="Suites `gradeloop eval` runs when given none")


@dataclass(frozen=True)
class Project:
    """A loaded project file and the folder its relative paths start from."""

    root: Path
    file: Path
    config: ProjectFile

    def target_spec(self, name_or_spec: str) -> str:
        """A project target's spec, or `name_or_spec` itself when it already is a spec."""
        entry = self.config.targets.get(name_or_spec)
        if entry is not None:
            if entry.provider == "replay" and entry.model and not Path(entry.model).is_absolute():
                return f"replay:{self.path(entry.model)}"  # relative to the project, not the cwd
            return entry.to_spec()
        return check_spec(name_or_spec, self)

    def path(self, relative: str) -> Path:
        p = Path(relative).expanduser()
        return p if p.is_absolute() else self.root / p

    @property
    def store(self) -> Path | None:
        """The store's path relative to the project, or a PostgreSQL URL as given (`${VAR}`s expanded)."""
        if not self.config.store:
            return None
        from gradeloop.run.sql import is_url

        if is_url(self.config.store):  # keep the password out of the file: postgresql://u:${PGPASSWORD}@h/db
            self.load_env()  # the env_file may hold it
            unset = [m.group(1) or m.group(2) for m in _ENV_REF.finditer(self.config.store)
                     if not os.environ.get(m.group(1) or m.group(2))]
            if unset:  # else the literal ${VAR} goes to the server, which answers "authentication failed"
                raise InputError(f"store: ${{{unset[0]}}} is not set in the environment (or the env_file)",
                                 file=str(self.file), field="store")
            return os.path.expandvars(self.config.store)  # type: ignore[return-value]
        return self.path(self.config.store)

    @property
    def judge_spec(self) -> str | None:
        return self.target_spec(self.config.judge) if self.config.judge else None

    def policy(self, name: str) -> Path | None:
        rel = self.config.policies.get(name)
        return self.path(rel) if rel else None

    @property
    def suites(self) -> list[Path]:
        return [self.path(s) for s in self.config.suites]

    def load_env(self) -> list[str]:
        """Fill unset variables from `env_file`; returns the names set (values never leave here)."""
        if not self.config.env_file:
            return []
        path = self.path(self.config.env_file)
        return load_env_file(path) if path.exists() else []  # like dotenv: no file, nothing to set


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")  # what os.path.expandvars expands


def check_spec(value: str, project: Project | None = None) -> str:
    """`value` if it is a target spec; else a clear error naming the known project targets."""
    scheme, sep, rest = value.partition(":")
    if sep and rest and scheme in _SCHEMES:
        return value
    known = sorted(project.config.targets) if project else []
    where = f"a target named in {project.file}" if project else f"a target named in a {PROJECT_FILE} (none found)"
    hint = f" ({', '.join(known)})" if known else ""
    raise InputError(f"unknown target spec {value!r}: expected {', '.join(s + ':...' for s in _SCHEMES)} "
                     f"or {where}{hint}", field="target")


def load_env_file(path: Path) -> list[str]:
    """KEY=VALUE lines (optional quotes, `export`, # comments) into os.environ where unset."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read env file: {exc.strerror}", file=str(path)) from None
    set_names = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _ENV_LINE.match(line)
        if m is None:
            raise InputError("expected KEY=VALUE", file=str(path), line=number)  # the value is never echoed
        name, value = m.group(1), m.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if name not in os.environ:
            os.environ[name] = value
            set_names.append(name)
    return set_names


def find_project(start: Path | None = None) -> Path | None:
    """$GRADELOOP_PROJECT, else gradeloop.yaml in `start` (default: cwd) or its nearest parent."""
    env = os.environ.get("GRADELOOP_PROJECT")
    if env:
        path = Path(env)
        if not path.is_file():
            raise InputError("GRADELOOP_PROJECT names no file", file=env)
        return path
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def load_project(path: str | Path | None = None) -> Project | None:
    """The project at `path` (or found from the current folder), validated; None when there is none."""
    file = Path(path) if path is not None else find_project()
    if file is None:
        return None
    config = load_yaml_config(file, ProjectFile)
    project = Project(file.resolve().parent, file, config)
    if config.judge and config.judge not in config.targets:
        check_spec(config.judge, project)
    if config.default_target and config.default_target not in config.targets:
        check_spec(config.default_target, project)
    return project


def resolve_target(name_or_spec: str, project: Project | None = None) -> str:
    """A spec for `-t`: a project target's name or a spec; the project's env file is loaded first.

    The project folder becomes importable, so a `py:` target works from any subfolder.
    """
    project = project or load_project()
    if project is None:
        return check_spec(name_or_spec)
    project.load_env()
    spec = project.target_spec(name_or_spec)
    if spec.startswith("py:") and str(project.root) not in sys.path:
        sys.path.insert(0, str(project.root))
    return spec


def describe(project: Project) -> dict[str, Any]:
    """What the project defines, as plain data (for `gradeloop project`); passwords in URLs masked."""
    from gradeloop.targets.redact import redact_spec

    store = None
    if project.config.store:  # as written (a ${VAR} stays a name), masked if a password is written out
        store = redact_spec(project.config.store) if "://" in project.config.store else str(project.store)
    judge = project.judge_spec
    return {"file": str(project.file),
            "targets": {name: redact_spec(entry.to_spec()) for name, entry in project.config.targets.items()},
            "default_target": project.config.default_target, "judge": redact_spec(judge) if judge else None,
            "store": store,
            "policies": {k: str(project.policy(k)) for k in project.config.policies},
            "env_file": project.config.env_file, "suites": [str(p) for p in project.suites]}
