"""Test helpers for users and for gradeloop's own tests: an OpenAI-compatible fault-injecting stub.

Names load lazily so `python -m gradeloop.testing.stub_server` runs without a double import.
"""
from __future__ import annotations

from typing import Any

__all__ = ["Fault", "Received", "StubServer", "echo"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from gradeloop.testing import stub_server

        return getattr(stub_server, name)
    raise AttributeError(f"module 'gradeloop.testing' has no attribute {name!r}")
