"""Engine set-up: SQLite pragmas, its transaction mode, and a queue for its writers.

pysqlite's own transaction handling starts transactions late and never as IMMEDIATE, so we
take over (SQLAlchemy's documented recipe): requests that may write (POST, PUT, DELETE), the
CLI and the worker begin with BEGIN IMMEDIATE and so hold the write lock from their first
read; GET requests begin deferred and read in parallel under WAL. A deferred transaction
that reads then writes would fail under load with "database is locked".

SQLite lets one writer in at a time and makes the others *poll* (sleeps of 1, 2, 5, 10,
... ms). Under a burst the process that just committed takes the lock again before a
sleeper wakes, so two gunicorn workers got less done than one. Writers therefore first
queue on an exclusive flock() of `<database>-writer.lock`: the kernel hands it to the next
waiter the moment the holder commits. SQLite's own lock stays the guarantee; the flock only
orders who asks for it. A thread that already holds the flock through another connection
skips it (and falls back to SQLite's busy timeout), so nesting can't deadlock.
"""

from __future__ import annotations

import fcntl
import functools
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import scoped_session

_immediate: ContextVar[bool] = ContextVar("sqlite_immediate", default=True)
_LOCK = "meetup_writer_lock"


def set_write_intent(may_write: bool) -> Token:
    return _immediate.set(may_write)


def reset_write_intent(token: Token) -> None:
    _immediate.reset(token)


def reads_first(view: Callable) -> Callable:
    """A POST view that reads for a while (who, which event, the form) before it writes:
    it begins as a reader, in parallel with SQLite's writer, until begin_writes()."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        set_write_intent(False)
        return view(*args, **kwargs)

    return wrapper


def _commit_keeping_loaded(current) -> None:
    keep = current.expire_on_commit
    current.expire_on_commit = False
    try:
        current.commit()
    finally:
        current.expire_on_commit = keep


def begin_writes(session: scoped_session) -> None:
    """The reads are done: from here on SQLite's write lock is held.

    On SQLite the read transaction ends first (BEGIN IMMEDIATE can't upgrade it), keeping
    what was loaded: services re-read under their lock whatever they decide on. Both happen
    on the session's own connection, inside its transaction: ending the session's
    transaction instead would hand the connection back to the pool and check it out again,
    which cost more than the two statements.
    """
    if _immediate.get():
        return
    set_write_intent(True)
    current = session()
    if not current.in_transaction():
        return  # the transaction that begins next takes the lock (see _on_begin)
    conn = current.connection()
    if conn.dialect.name != "sqlite" or current_app.config["TESTING_SKIP_LOCKS"]:
        return
    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection.in_transaction:
        dbapi_connection.execute("COMMIT")
    _begin_immediate(conn)


@contextmanager
def writing(session: scoped_session) -> Iterator[None]:
    """One committed transaction that takes SQLite's write lock up front (BEGIN IMMEDIATE),
    for code that owns its transactions (the worker's deliveries)."""
    token = set_write_intent(True)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        reset_write_intent(token)


@contextmanager
def reading(session: scoped_session) -> Iterator[None]:
    """A read-only transaction of its own (SQLite: deferred, no write lock, in parallel with
    the writer), ended on leaving: for code that owns its transactions and reads at length
    before a short write (the worker queueing an announcement chunk by chunk)."""
    session.rollback()
    token = set_write_intent(False)
    try:
        yield
    finally:
        session.rollback()
        reset_write_intent(token)


def commit_writes(session: scoped_session) -> None:
    """Commit the request's writes and read on as a reader (SQLite: no lock).

    What was loaded stays loaded: the request reports what it has just written, and
    reloading it would cost a query per object.
    """
    _commit_keeping_loaded(session())
    set_write_intent(False)


def _begin_immediate(conn: Connection) -> None:
    """Queue for the writers' flock, then take SQLite's write lock."""
    lock = conn.info.get(_LOCK)
    if lock is not None:
        lock.acquire()
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if lock is not None:
            lock.release()
        raise


class WriterLock:
    """One connection's place in the writers' queue: its own open file description, so
    connections of one process (threads) queue against each other too."""

    _held_here = threading.local()  # how many this thread holds, over all connections

    def __init__(self, path: str):
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.held = False

    def acquire(self) -> None:
        if getattr(self._held_here, "count", 0):
            return
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        self.held = True
        self._held_here.count = 1

    def release(self) -> None:
        if self.held:
            self.held = False
            self._held_here.count = 0
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.release()
        os.close(self.fd)


def install_sqlite_hooks(app: Flask, engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    db_file = engine.url.database
    lock_path = f"{db_file}-writer.lock" if db_file and db_file != ":memory:" else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
        if lock_path:
            record.info[_LOCK] = WriterLock(lock_path)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if app.config["TESTING_SKIP_LOCKS"]:
            return  # negative control: autocommit per statement, so the race is visible
        if not _immediate.get():
            conn.exec_driver_sql("BEGIN")
            return
        _begin_immediate(conn)

    def _end(conn, statement: str) -> None:
        # SQLAlchemy announces the end before it happens; end it here, so the flock is
        # passed on only once SQLite's lock is free (the driver's own call is then a no-op).
        lock = conn.info.get(_LOCK)
        if lock is None or not lock.held:
            return
        try:
            dbapi_connection = conn.connection.dbapi_connection
            if dbapi_connection.in_transaction:
                dbapi_connection.execute(statement)
        finally:
            lock.release()

    event.listen(engine, "commit", lambda conn: _end(conn, "COMMIT"))
    event.listen(engine, "rollback", lambda conn: _end(conn, "ROLLBACK"))

    def _forget(_dbapi_connection, record, _reset_state) -> None:
        lock = record.info.get(_LOCK)
        if lock is not None:
            lock.release()

    def _close(_dbapi_connection, record, _exception=None) -> None:
        lock = record.info.pop(_LOCK, None)
        if lock is not None:
            lock.close()

    event.listen(engine, "reset", _forget)
    event.listen(engine, "invalidate", _close)  # (dbapi_connection, record, exception)
    event.listen(engine, "close", lambda dbapi_connection, record: _close(dbapi_connection, record))
