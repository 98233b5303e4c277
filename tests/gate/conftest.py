"""Runs with a known truth, for gate tests."""
from __future__ import annotations

import pytest

from tests.builders import run_replay, write_suite


@pytest.fixture
def runs_factory(tmp_path):
    def make(slices: dict[str, int], fails_base: dict[str, int], fails_cand: dict[str, int]):
        suite = write_suite(tmp_path / "suite.yaml", slices)

        def outputs(fails: dict[str, int]) -> dict[str, str]:
            return {f"{a}-{i}": ("nope" if i < fails.get(a, 0) else "ok") for a, n in slices.items() for i in range(n)}

        return (run_replay(tmp_path, suite, outputs(fails_base), "base"),
                run_replay(tmp_path, suite, outputs(fails_cand), "cand"))

    return make
