"""The viewer's store connections: one per worker thread, handed on when a thread ends.

The app's sync routes run on worker threads that come and go (anyio ends a thread idle for 10 s).
A SQLite connection costs nothing to open; a PostgreSQL one costs a login and the schema check,
round trips to a server that may be far away, and one left open by an ended thread would hold a
server session until garbage collection. So a thread keeps its store while it lives, the store
of a thread that has ended goes to the next new thread, and `close` ends them all. A connection
that broke (the server restarted) is dropped and the next request opens a fresh one.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from gradeloop.errors import InputError
from gradeloop.run.sql import redact_url, scrub_secrets, store_location
from gradeloop.run.store import Store


class StoreUnavailable(Exception):
    """The store could not be opened or stopped answering: the page says so (503), in one line."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


class StorePool:
    """Stores of one location (a SQLite path or a PostgreSQL URL) for the threads that serve pages."""

    def __init__(self, location: str | Path) -> None:
        self.location = store_location(location)
        self.opened = 0  # stores opened so far: what tests count
        self._owned: dict[threading.Thread, Store] = {}
        self._idle: list[Store] = []
        self._lock = threading.Lock()

    @property
    def is_url(self) -> bool:
        return isinstance(self.location, str)

    @property
    def shown(self) -> str:
        """The location as pages and messages may show it: a URL without its password."""
        return redact_url(self.location) if isinstance(self.location, str) else str(self.location)

    def scrub(self, text: str) -> str:
        """A message about the store, one line, with no trace of the URL's password."""
        text = _one_line(text)
        return scrub_secrets(text, self.location) if isinstance(self.location, str) else text

    def get(self) -> Store:
        """This thread's store: its own, else one an ended thread left, else a new one."""
        me = threading.current_thread()
        with self._lock:
            store = self._owned.get(me)
            if store is not None:
                return store
            for thread in [t for t in self._owned if not t.is_alive()]:
                self._idle.append(self._owned.pop(thread))
            store = self._idle.pop() if self._idle else None
        if store is None:
            try:
                store = Store(self.location)
            except InputError as exc:
                raise StoreUnavailable(self.scrub(str(exc))) from None
            with self._lock:
                self.opened += 1
        with self._lock:
            self._owned[me] = store
        return store

    def discard_broken(self) -> int:
        """Drop the stores whose connection broke (the server went away), so the next request reconnects.

        Called from the app's error handler, which runs on the event loop rather than on the thread
        that hit the error: every store is checked (an attribute read each), not only one thread's.
        """
        with self._lock:
            broken = [t for t, st in self._owned.items() if _broken(st)]
            dropped = [self._owned.pop(t) for t in broken] + [st for st in self._idle if _broken(st)]
            self._idle = [st for st in self._idle if not _broken(st)]
        for store in dropped:
            try:
                store.close()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail too; it is gone either way
                pass
        return len(dropped)

    def close(self) -> None:
        """Close every store (the app is shutting down)."""
        with self._lock:
            stores = list(self._owned.values()) + self._idle
            self._owned.clear()
            self._idle.clear()
        for store in stores:
            try:
                store.close()
            except Exception:  # noqa: BLE001 - shutting down: close the others anyway
                pass


def _broken(store: Store) -> bool:
    """Whether the store's connection can no longer be used (PostgreSQL only; SQLite errors are transient)."""
    conn = getattr(store.db, "conn", None)
    if conn is None:
        return False
    return bool(getattr(conn, "closed", False) or getattr(conn, "broken", False))


def store_errors() -> tuple[type[Exception], ...]:
    """The driver errors that mean the store is unreachable or busy (not a bug in a query)."""
    errors: list[type[Exception]] = [sqlite3.OperationalError]
    try:
        import psycopg
    except ImportError:
        return tuple(errors)
    errors += [psycopg.OperationalError, psycopg.InterfaceError]
    return tuple(errors)
