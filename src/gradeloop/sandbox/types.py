"""The values that cross the sandbox boundary: what code to run, and what came back."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Union

_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be set up here (no namespaces, a worker that never started).

    Raised instead of running code unconfined; the message says why and how to opt out.
    `permanent` is set when the worker itself refused (the kernel said no), as opposed to
    a start-up that merely failed or took too long.
    """

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Source:
    """Python source executed once per worker as a module; `filename` shows in tracebacks."""

    text: str
    filename: str = "<sandbox>"

    def as_json(self) -> dict[str, str]:
        return {"source": self.text, "filename": self.filename}


@dataclass(frozen=True, slots=True)
class Module:
    """An importable module (found on the config's `paths` or the interpreter's sys.path)."""

    name: str

    def as_json(self) -> dict[str, str]:
        return {"module": self.name}


Code = Union[Source, Module, str]


def as_code(code: Code) -> Source | Module:
    """A dotted name is a module; any other string is source."""
    if isinstance(code, (Source, Module)):
        return code
    return Module(code) if _MODULE_NAME.match(code) else Source(code)


@dataclass(frozen=True, slots=True)
class SandboxResult:
    """One call's outcome. Exactly one of `result` (when `ok`) or `error` is meaningful.

    `timed_out` is set when the call ran past its timeout (the worker was killed); `error`
    then says so too. `log` holds what the code printed (last 4,000 characters);
    `traceback` the last frames of an exception raised inside; `worker` the pid of the
    worker process that served the call (the same pid across calls means a warm worker).
    """

    ok: bool
    result: Any = None
    error: str | None = None
    timed_out: bool = False
    traceback: str = ""
    log: str = ""
    worker: int | None = None
