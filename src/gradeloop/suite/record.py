"""A mapping read from a suite file (a suite header or one case) with the line of each field.

Every format (YAML, JSONL, CSV) reduces to Records, so validation is written once and every
error can still name the file, line and field where the bad value was written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

_LAST_PART = re.compile(r"(\.[^.\[\]]+|\[\d+\])$")


@dataclass(frozen=True, slots=True)
class Record:
    """Plain values (`data`), the record's own line, and lines of nested fields by path."""

    data: Mapping[str, Any]
    line: int
    lines: Mapping[str, int] = field(default_factory=dict)  # "graders[0]", "tags.locale", ...
    prefix: str = ""  # where the record sits in its file, e.g. "cases[3]"; "" for a JSONL line

    def line_of(self, path: str) -> int:
        """The line of `path`, else of its closest written parent, else of the record."""
        if not self.lines:  # a JSONL line: every field is on the record's line
            return self.line
        while path:
            found = self.lines.get(path)
            if found is not None:
                return found
            shorter = _LAST_PART.sub("", path)
            if shorter == path:
                break
            path = shorter
        return self.line

    def field(self, path: str) -> str:
        """The full field name for error messages (`cases[3].graders[0].type`)."""
        if not self.prefix:
            return path
        return f"{self.prefix}.{path}" if path else self.prefix
