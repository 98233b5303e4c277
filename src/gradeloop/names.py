"""Names that become parts of paths (tune names, adapter ids): one safe component, or an InputError.

A tune `name: ../../x` once wrote outside `.gradeloop/tunes`; an adapter id from the command line
could read any folder. A name here is one path component of letters, digits, `.`, `_` and `-`,
not starting with `.` or `-`, at most 100 characters: no separators, no `..`, nothing a shell or
another OS would read differently.
"""
from __future__ import annotations

import re

from gradeloop.errors import InputError

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")
NAME_RULE = "1-100 characters of letters, digits, '.', '_' and '-', not starting with '.' or '-'"


def is_path_name(name: object) -> bool:
    """Whether `name` is safe as one path component."""
    return isinstance(name, str) and _NAME.fullmatch(name) is not None and ".." not in name


def check_path_name(name: object, *, field: str = "name", file: str | None = None) -> str:
    """`name` if it is safe as one path component; otherwise an InputError saying what a name may hold."""
    if not is_path_name(name):
        raise InputError(f"{name!r} cannot name a folder: use {NAME_RULE}", file=file, field=field)
    return name  # type: ignore[return-value]
