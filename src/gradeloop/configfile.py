"""Load a YAML config file into a pydantic model, with file:line:field errors.

Gate policies, tune configs and other YAML settings share this: pydantic validates and
documents the fields; the YAML node tree supplies the line of whichever field is wrong.
"""
from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from gradeloop.errors import InputError
from gradeloop.files import read_input_bytes
from gradeloop.suite.text import decode_utf8
from gradeloop.suite.yaml_tree import collect_lines, compose, line_of, to_python

M = TypeVar("M", bound=BaseModel)


def _field_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_yaml_config(path: str | Path, model: type[M]) -> M:
    """Parse `path` as YAML and validate it as `model`; any problem is an InputError."""
    file = str(path)
    text = decode_utf8(read_input_bytes(path, what="YAML file"), file)  # FIFOs, devices, bad UTF-8: InputError
    node = compose(text, file)
    if node is None:
        raise InputError("empty file", file=file)
    data = to_python(node, file)
    if not isinstance(data, dict):
        raise InputError("expected a mapping at the top level", file=file, line=line_of(node))
    lines: dict[str, int] = {}
    collect_lines(node, "", lines, depth=8)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        field = _field_path(loc)
        line = None
        probe = loc
        while probe and line is None:  # the closest written ancestor carries the line
            line = lines.get(_field_path(probe))
            probe = probe[:-1]
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        raise InputError(msg, file=file, line=line or line_of(node), field=field or None) from None
