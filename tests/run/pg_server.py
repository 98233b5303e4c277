"""A throwaway PostgreSQL for the store tests, started with scripts/postgres.sh (one per test session)."""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres.sh"
_STATE: dict[str, str] = {}


def start() -> str:
    """The URL of the session's server, starting it on first use; skips only when apt cannot install it."""
    if "url" in _STATE:
        return _STATE["url"]
    if "skip" in _STATE:
        pytest.skip(_STATE["skip"])
    pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is not installed")
    folder = tempfile.mkdtemp(prefix="gradeloop-pg-test.")
    proc = subprocess.run(["bash", str(SCRIPT), "start", folder], capture_output=True, text=True, timeout=600)
    if proc.returncode == 3:  # PostgreSQL is not installed and apt-get is unavailable here
        shutil.rmtree(folder, ignore_errors=True)
        _STATE["skip"] = f"no PostgreSQL: {proc.stderr.strip().splitlines()[-1]}"
        pytest.skip(_STATE["skip"])
    assert proc.returncode == 0, f"scripts/postgres.sh start failed:\n{proc.stderr}"
    _STATE["url"] = proc.stdout.strip().splitlines()[-1]
    _STATE["dir"] = folder
    return _STATE["url"]


def stop() -> None:
    if "dir" in _STATE:
        subprocess.run(["bash", str(SCRIPT), "stop", _STATE.pop("dir")], capture_output=True, timeout=120)
        _STATE.pop("url", None)


def fresh_database(url: str, name: str) -> str:
    """A new empty database on the server (each test its own: no state leaks between tests)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_url():
    """The session's server (import this fixture and `db_url` into a test module to use them)."""
    url = start()
    yield url
    stop()


@pytest.fixture
def db_url(pg_url, request):
    """A fresh database per test, named after the test's module and name."""
    module = request.node.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")[:10]
    return fresh_database(pg_url, f"{module}_" + re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:50])
