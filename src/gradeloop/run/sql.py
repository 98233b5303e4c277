"""The store's SQL dialects: one Store, written in SQLite's SQL, also runs on PostgreSQL.

A store is named by a path (a SQLite file) or a URL (`postgresql://user:pw@host:port/db`).
For PostgreSQL, `PgConnection` gives psycopg 3 the surface the store and its readers use of a
sqlite3 connection (`execute`, `executemany`, `executescript`, `with db:` as a transaction) and
translates the few differences on the way: `?` placeholders, `INSERT OR IGNORE`, column types
(REAL is single precision there; text compares byte-wise, as in SQLite, with the "C" collation),
the schema's identity column. So every query is written once, and the readers that take
`store.db` (labels, view, reports) work on both without knowing which one they have.
"""
from __future__ import annotations

import hashlib
import re
import threading
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

from gradeloop.errors import InputError
from gradeloop.targets.redact import redact_spec

_URL = re.compile(r"^(postgres|postgresql)://", re.IGNORECASE)
# What pathlib leaves of a URL: `postgresql:/user@host/db` (typer's Path options collapse the //).
_MANGLED = re.compile(r"^(postgres|postgresql):/(?!/)", re.IGNORECASE)
# Any other URL (mysql://, sqlite:///x.db, http://…), whole or as pathlib left it; two letters at least,
# so a Windows drive (C:/…) stays a path.
_OTHER_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/")


def store_location(value: str | Path) -> str | Path:
    """A PostgreSQL URL as a string (undoing pathlib's `//` → `/`), anything else as a Path.

    A URL of another scheme is refused rather than taken for a file name: `mysql://u:pw@h/db` would
    otherwise become a SQLite file of that name, its password in the path.
    """
    text = str(value)
    if _URL.match(text):
        return text
    if _MANGLED.match(text):
        return _MANGLED.sub(lambda m: m[1] + "://", text, count=1)
    other = _OTHER_URL.match(text)
    if other:
        url = re.sub(r"^([^:]+):/+", lambda m: m[1] + "://", text, count=1)
        raise InputError(f"a results store is a SQLite file or a postgresql:// URL, not a {other[1]}:// URL",
                         file=redact_url(url))
    return Path(value)


def is_url(value: str | Path) -> bool:
    """Whether `value` names a PostgreSQL store rather than a SQLite file."""
    return isinstance(store_location(value), str)


def redact_url(url: str) -> str:
    """The URL without its password (or any userinfo) and secret query values: safe to print.

    The userinfo is taken to run to the URL's last `@`, so a password written with `@` or `/` unencoded
    (which libpq would split elsewhere) is masked whole too.
    """
    scheme, sep, rest = url.partition("://")
    shown = f"{scheme}://***@{rest.rpartition('@')[2]}" if sep and "@" in rest else url
    return redact_spec(scrub_secrets(shown, url))


def _userinfo(url: str) -> tuple[str, str]:
    """(`user:password` as libpq reads it, up to the first `@` before any `/`; as written, up to the last `@`)."""
    rest = url.split("://", 1)[-1]
    authority = rest.split("/", 1)[0]
    return authority.partition("@")[0] if "@" in authority else "", rest.rpartition("@")[0]


def unencoded_userinfo(url: str) -> bool:
    """Whether libpq would split the URL's user and password elsewhere than written (an `@` or `/` in them)."""
    libpq, written = _userinfo(url)
    return libpq != written


def url_secrets(url: str) -> set[str]:
    """The password of `url` (its userinfo's and any `password=` query value), raw and percent-decoded."""
    from urllib.parse import unquote

    libpq, written = (info.partition(":")[2] for info in _userinfo(url))
    # libpq's reading of an unencoded password is a piece of the written one: masking the piece
    # alone would only garble the text around it (a password "p" of "p@ss" → "***ostgresql").
    found = {written} if written.startswith(libpq) else {libpq, written}
    found |= {m[1] for m in re.finditer(r"[?&]password=([^&]*)", url.split("://", 1)[-1], re.IGNORECASE)}
    return {s for v in found for s in (v, unquote(v)) if s}


def scrub_secrets(text: str, url: str) -> str:
    """`text` (a driver's message about `url`) with the URL's password cut out wherever it was echoed.

    libpq quotes a malformed password back in its error (e.g. one with a space); redaction by URL
    shape alone would miss it there.
    """
    for secret in sorted(url_secrets(url), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


@lru_cache(maxsize=512)
def pg_sql(sql: str) -> str:
    """SQLite's SQL as PostgreSQL's: `?` → `$n` (outside quotes), `INSERT OR IGNORE` → `ON CONFLICT DO NOTHING`."""
    out: list[str] = []
    n = 0
    quote: str | None = None
    for ch in sql:
        if quote is not None:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "?":
            n += 1
            out.append(f"${n}")
            continue
        out.append(ch)
    text = "".join(out)
    if re.match(r"\s*INSERT\s+OR\s+IGNORE\s+INTO\b", text, re.IGNORECASE):
        text = re.sub(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", "INSERT INTO", text, flags=re.IGNORECASE)
        text = text.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    return text


def pg_ddl(script: str) -> str:
    """The store's SQLite schema as PostgreSQL DDL (double precision, byte-order text, identity keys)."""
    script = re.sub(r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                    script)
    script = re.sub(r"\bREAL\b", "DOUBLE PRECISION", script)
    # Byte-wise text order, as SQLite's: ORDER BY suite, case_id must give the same run JSON on both.
    return re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', script)


def _lock_id(name: str) -> int:
    """A non-negative 63-bit advisory-lock id for `name` (PostgreSQL's lock ids are bigints)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") >> 1


# The lock every process takes while it creates or migrates the schema (CREATE TABLE IF NOT EXISTS
# from two sessions at once can fail on PostgreSQL's catalog).
SCHEMA_LOCK = _lock_id("gradeloop.schema")


class PgConnection:
    """A psycopg 3 connection with sqlite3's surface (see the module docstring); autocommit outside `with`."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise InputError("a PostgreSQL store needs psycopg: pip install 'gradeloop[postgres]'",
                             file=redact_url(url)) from None
        self.url = url
        self._psycopg = psycopg
        try:
            self.conn = psycopg.connect(url, autocommit=True, cursor_factory=psycopg.RawCursor, connect_timeout=30)
        except psycopg.Error as exc:
            raise open_error(exc, url) from None
        self._tx: list[Any] = []
        self._tx_lock = threading.RLock()
        # What a write may retry: the server broke a deadlock or a serialisation conflict by aborting it.
        self.transient_errors: tuple[type[Exception], ...] = (psycopg.errors.DeadlockDetected,
                                                                psycopg.errors.SerializationFailure)

    # sqlite3.Connection's surface --------------------------------------------------------
    def execute(self, sql: str, params: Iterable[Any] = ()) -> Any:
        return self.conn.execute(pg_sql(sql), _nul_free(tuple(params)) or None)

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> Any:
        cur = self.conn.cursor()
        cur.executemany(pg_sql(sql), (_nul_free(tuple(r)) for r in rows))
        return cur

    def executescript(self, script: str) -> None:
        for statement in _statements(script):
            self.conn.execute(statement)

    @property
    def in_transaction(self) -> bool:
        """Inside a `with` block: a write that fails there aborts the caller's transaction, not only its own."""
        return bool(self._tx)

    def __enter__(self) -> "PgConnection":
        self._tx_lock.acquire()
        tx = self.conn.transaction()
        tx.__enter__()
        self._tx.append(tx)
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self._tx.pop().__exit__(*exc)  # commits, or rolls back and lets the exception go on
        finally:
            self._tx_lock.release()

    def close(self) -> None:
        self.conn.close()

    # what differs -------------------------------------------------------------------------
    def columns(self, table: str) -> set[str]:
        rows = self.conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
                                 "AND table_schema = current_schema()", (table,)).fetchall()
        return {r[0] for r in rows}

    @contextmanager
    def schema_lock(self) -> Iterator[None]:
        """A transaction holding the schema lock: one process creates or migrates the tables at a time."""
        with self:
            self.conn.execute("SELECT pg_advisory_xact_lock($1)", (SCHEMA_LOCK,))
            yield

    @contextmanager
    def run_lock(self, key: str, *, wait: float = 0.0, poll: float = 0.2) -> Iterator[None]:
        """The run's advisory lock, on a connection of its own held for the run.

        The server drops it when that connection ends, so a killed process (even kill -9, on any
        machine) never leaves a stale lock, and the next command resumes the run.
        """
        from gradeloop.run.lock import RunBusy

        psycopg = self._psycopg
        lock_id = _lock_id(f"gradeloop.run:{key}")
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=30)
        except psycopg.Error as exc:
            raise open_error(exc, self.url) from None
        try:
            deadline = time.monotonic() + max(0.0, wait)
            while True:
                got, = conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_id,)).fetchone()
                if got:
                    break
                if time.monotonic() >= deadline:
                    holder = conn.execute(
                        "SELECT a.pid, a.client_addr FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE l.locktype = 'advisory' AND l.granted AND "
                        "((l.classid::bigint << 32) | l.objid::bigint) = %s LIMIT 1", (lock_id,)).fetchone()
                    who = f" (server backend {holder[0]}, client {holder[1] or 'local'})" if holder else ""
                    raise RunBusy(f"this run is being generated by another gradeloop process{who}; wait for it to "
                                  "finish, or stop it and rerun to resume (no sample is generated twice)",
                                  file=redact_url(self.url))
                time.sleep(poll)
            yield
        finally:
            conn.close()  # ends the session: the lock goes with it


def open_error(exc: BaseException, url: str) -> InputError:
    """Why `url` could not be opened, in one line without its password.

    When the URL's user or password holds an unencoded `@` or `/`, libpq reads other parts than the
    ones written and its message quotes pieces of the password: it is replaced by what to do instead.
    """
    if unencoded_userinfo(url):
        why = ("its user or password holds '@' or '/' unencoded: percent-encode them (Python: "
               "urllib.parse.quote(password, safe='')), or leave the password out of the URL and set $PGPASSWORD")
    else:
        why = scrub_secrets(_one_line(exc), url)
    return InputError(f"cannot open the results store: {why}", file=redact_url(url))


def _nul_free(row: tuple) -> tuple:
    """PostgreSQL text cannot hold NUL: a model output with one is stored with U+FFFD in its place."""
    for v in row:
        if type(v) is str and "\x00" in v:
            return tuple(x.replace("\x00", "\ufffd") if type(x) is str else x for x in row)
    return row


def _statements(script: str) -> list[str]:
    """The statements of a DDL script (no semicolons inside its literals), comments dropped."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
