"""The JSON parts of the viewer's SQL, one variant per store dialect; the rest is written once.

The store's JSON columns (tags, grades, signals) are TEXT on both dialects. SQLite reads them with
json_each / json_extract / json_type; PostgreSQL casts them to jsonb and uses its operators. Each
function returns a SQL fragment and its parameters in the order of the fragment's `?` marks, so
the query that embeds it stays one string for both. Both variants mean the same: a tag value
matches as Python's str() of it (what the slice names show), a grade passes when its `passed` is
true or 1 and it has no error, a signal is numeric when it is a JSON number (not a boolean).

PostgreSQL's jsonb `?` operators are never used: `?` is the store's placeholder there too.
"""
from __future__ import annotations

from typing import Any

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


def _sqlite_path(name: str) -> str:
    """A JSON path naming the key `name` exactly, whatever characters it holds."""
    return '$."' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def like(dialect: str) -> str:
    """SQLite's LIKE ignores ASCII case; PostgreSQL's ILIKE on the store's "C"-collated text does the same."""
    return "ILIKE" if dialect == POSTGRESQL else "LIKE"


def sample_tag(dialect: str, key: str, value: str) -> tuple[str, list[Any]]:
    """Condition on the sample row `s`: its case's tag `key` shows as `value` (True/False for booleans)."""
    same_case = "c.run_id = s.run_id AND c.suite = s.suite AND c.case_id = s.case_id"
    if dialect == POSTGRESQL:
        if value in ("True", "False"):
            return (f"EXISTS (SELECT 1 FROM cases c WHERE {same_case} AND "
                    f"(c.tags::jsonb -> ?::text) = '{value.lower()}'::jsonb)"), [key]
        return (f"EXISTS (SELECT 1 FROM cases c, LATERAL (SELECT c.tags::jsonb -> ?::text AS v) t WHERE {same_case} "
                "AND jsonb_typeof(t.v) IN ('string', 'number') AND t.v #>> '{}' = ?)"), [key, value]
    # a tag value is shown as Python's str(); JSON true/false read back as 1/0 in SQLite
    cond = ("t.type = 'true'" if value == "True" else "t.type = 'false'" if value == "False"
            else "CAST(t.value AS TEXT) = ?")
    args: list[Any] = [key] if value in ("True", "False") else [key, value]
    return f"EXISTS (SELECT 1 FROM cases c, json_each(c.tags) t WHERE {same_case} AND t.key = ? AND {cond})", args


def sample_grade(dialect: str, grader: str, verdict: str) -> tuple[str, list[Any]]:
    """Condition on the sample row `s`: a grade by `grader` (that passed, failed or errored, per `verdict`)."""
    if dialect == POSTGRESQL:
        cond = ""
        if verdict in ("pass", "fail"):
            values = "'true'::jsonb, '1'::jsonb" if verdict == "pass" else "'false'::jsonb, '0'::jsonb"
            cond = f" AND g.value ->> 'error' IS NULL AND g.value -> 'passed' IN ({values})"
        elif verdict == "error":
            cond = " AND g.value ->> 'error' IS NOT NULL"
        # a grades value that is not an array (another tool's store) has no grade, rather than failing the page
        return ("EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN s.grades LIKE '[%' THEN s.grades::jsonb "
                f"ELSE '[]'::jsonb END) g WHERE g.value ->> 'grader' = ?{cond})"), [grader]
    cond = ""
    args: list[Any] = [grader]
    if verdict in ("pass", "fail"):
        cond = " AND json_extract(g.value, '$.error') IS NULL AND json_extract(g.value, '$.passed') = ?"
        args.append(1 if verdict == "pass" else 0)
    elif verdict == "error":
        cond = " AND json_extract(g.value, '$.error') IS NOT NULL"
    return f"EXISTS (SELECT 1 FROM json_each(s.grades) g WHERE json_extract(g.value, '$.grader') = ?{cond})", args


def signal_names(dialect: str) -> str:
    """Distinct numeric signal names among the run's first N samples, byte order; params: run_id, N."""
    if dialect == POSTGRESQL:
        return ("SELECT DISTINCT j.key COLLATE \"C\" AS name FROM (SELECT signals FROM samples WHERE run_id = ? AND "
                "signals <> '{}' LIMIT ?) s, jsonb_each(CASE WHEN s.signals LIKE '{%' THEN s.signals::jsonb "
                "ELSE '{}'::jsonb END) j WHERE jsonb_typeof(j.value) = 'number' ORDER BY name")
    return ("SELECT DISTINCT j.key FROM (SELECT signals FROM samples WHERE run_id = ? AND signals != '{}' LIMIT ?) s, "
            "json_each(s.signals) j WHERE j.type IN ('integer', 'real') ORDER BY j.key")


def signal_values(dialect: str, run_id: str, name: str) -> tuple[str, list[Any]]:
    """Rows (value, passed, suite, case_id) of the samples with a verdict whose signal `name` is a number."""
    if dialect == POSTGRESQL:
        return ("SELECT v::float8, passed, suite, case_id FROM (SELECT signals::jsonb -> ?::text AS v, passed, suite, "
                "case_id FROM samples WHERE run_id = ? AND error_kind IS NULL AND passed IS NOT NULL AND "
                "signals LIKE '{%') x WHERE jsonb_typeof(v) = 'number'"), [name, run_id]
    path = _sqlite_path(name)
    return ("SELECT json_extract(signals, ?), passed, suite, case_id FROM samples WHERE run_id = ? AND "
            "error_kind IS NULL AND passed IS NOT NULL AND json_type(signals, ?) IN ('integer', 'real')"), \
        [path, run_id, path]


def signal_range(dialect: str, run_id: str, name: str) -> tuple[str, list[Any]]:
    """One row (min, max) of the signal `name` over the run's samples where it is a number."""
    if dialect == POSTGRESQL:
        return ("SELECT MIN(v::float8), MAX(v::float8) FROM (SELECT signals::jsonb -> ?::text AS v FROM samples "
                "WHERE run_id = ? AND signals LIKE '{%') x WHERE jsonb_typeof(v) = 'number'"), [name, run_id]
    path = _sqlite_path(name)
    return ("SELECT MIN(json_extract(signals, ?)), MAX(json_extract(signals, ?)) FROM samples "
            "WHERE run_id = ? AND json_type(signals, ?) IN ('integer', 'real')"), [path, path, run_id, path]
