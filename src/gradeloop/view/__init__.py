"""`gradeloop view`: a local web viewer of the results store (runs, samples, compares, tunes, labels).

Server-side rendered (Jinja2, autoescaped) and read straight from the store with SQL filters and
LIMIT/OFFSET pages, so a run of 100,000 samples opens as fast as a small one. Reads a SQLite or a
PostgreSQL store. Needs the `view` extra (FastAPI, uvicorn, Jinja2).
"""
from __future__ import annotations

from gradeloop.view.app import create_app

__all__ = ["create_app"]
