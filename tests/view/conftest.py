"""The PostgreSQL fixtures (a server per session, a fresh database per test) for this folder's tests."""
from tests.run.pg_server import db_url, pg_url  # noqa: F401 (fixtures pytest finds here)
