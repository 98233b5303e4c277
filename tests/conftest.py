"""Shared fixtures: every test runs in its own folder with its own store."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A clean working directory (the store defaults to ./.gradeloop)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
