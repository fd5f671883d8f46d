"""Engine set-up: SQLite pragmas and its transaction mode.

pysqlite's own transaction handling starts transactions late and never as IMMEDIATE, so we
take over (SQLAlchemy's documented recipe): requests that may write (POST, PUT, DELETE), the
CLI and the worker begin with BEGIN IMMEDIATE and so hold the write lock from their first
read; GET requests begin deferred and read in parallel under WAL. A deferred transaction
that reads then writes would fail under load with "database is locked".
"""

from contextvars import ContextVar, Token

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

_immediate: ContextVar[bool] = ContextVar("sqlite_immediate", default=True)


def set_write_intent(may_write: bool) -> Token:
    return _immediate.set(may_write)


def reset_write_intent(token: Token) -> None:
    _immediate.reset(token)


def install_sqlite_hooks(app: Flask, engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if app.config["TESTING_SKIP_LOCKS"]:
            return  # negative control: autocommit per statement, so the race is visible
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")
