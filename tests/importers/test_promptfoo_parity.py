"""promptfoo's own verdicts (npm promptfoo, echo provider) against the imported suite's, test by test.

Skipped when bench/setup_peers.sh has not installed promptfoo under bench/.work.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "promptfoo_import_check.py"
spec = importlib.util.spec_from_file_location("promptfoo_import_check", BENCH)
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)


@pytest.mark.skipif(not check.PROMPTFOO.exists(), reason="promptfoo not installed (bench/setup_peers.sh)")
@pytest.mark.parametrize("config", check.DEFAULT_CONFIGS, ids=lambda p: p.name)
def test_imported_suite_gives_promptfoo_verdicts(config):
    agree, total, diffs = check.compare(config)
    assert total >= 8 and diffs == [] and agree == total
