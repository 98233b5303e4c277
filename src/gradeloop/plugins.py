"""Users' own code named as `module:function` (py: targets, custom confidence signals).

The current folder is importable, as in a script, so users can name modules of their project.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any, Callable

from gradeloop.errors import InputError


def load_callable(ref: str, *, field: str, usage: str = "module:function") -> Callable[..., Any]:
    """Import `module:function`; any problem is an InputError naming `field`."""
    module_name, _, attr = ref.rpartition(":")
    if not module_name or not attr:
        raise InputError(f"expected {usage}, got {ref!r}", field=field)
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"cannot import module {module_name!r}: {exc}", field=field) from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise InputError(f"{module_name!r} has no callable {attr!r}", field=field)
    return fn
