"""Test helpers for users and for gradeloop's own tests: suite and gate assertions
(`assert_suite`, `assert_no_regression`) and an OpenAI-compatible fault-injecting stub.

Names load lazily so `python -m gradeloop.testing.stub_server` runs without a double import.
"""
from __future__ import annotations

from typing import Any

__all__ = ["Fault", "Received", "StubServer", "assert_no_regression", "assert_suite", "echo", "failure_summary"]
_ASSERTS = ("assert_no_regression", "assert_suite", "failure_summary")


def __getattr__(name: str) -> Any:
    if name in _ASSERTS:
        from gradeloop.testing import asserts

        return getattr(asserts, name)
    if name in __all__:
        from gradeloop.testing import stub_server

        return getattr(stub_server, name)
    raise AttributeError(f"module 'gradeloop.testing' has no attribute {name!r}")
