"""One micro build of the tiny model per test session (seconds, same code path as the real one)."""
from __future__ import annotations

from pathlib import Path

import pytest

from gradeloop.demo.model import MICRO_CONFIG, build_tiny_model

MICRO_SECONDS = 2.0  # 40 steps of the micro config


@pytest.fixture(scope="session")
def micro_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.getbasetemp() / "micro-model", train_seconds=MICRO_SECONDS,
                            config=MICRO_CONFIG)
