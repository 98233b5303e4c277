"""The error types the CLI prints as they are, in one line with exit code 2.

InputError means "the user's input is wrong": every loader and validator raises it with the file,
line and field. ProcessFailed means a process started for the user's work failed outside
gradeloop's code (a training launch): it says why and where the whole log is. Anything else that
escapes a command is unexpected (cli/failure.py).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class InputError(Exception):
    """Bad input: names where (file, line, field) and what is wrong."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class ProcessFailed(Exception):
    """A process gradeloop started for the user's work failed; the message names the cause and the log."""
