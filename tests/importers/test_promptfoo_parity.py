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
def test_imported_suite_gives_promptfoo_verdicts():
    # The main config only (~10 s: promptfoo's start-up dominates); bench/promptfoo_import_check.py also
    # runs the edge-case and CSV configs.
    agree, total, diffs = check.compare(check.DEFAULT_CONFIGS[0])
    assert total >= 12 * 3 and diffs == [] and agree == total
