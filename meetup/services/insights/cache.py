"""Figures kept for a short while, each with what it was computed from, so an organizer who
reloads a page (or pages through it) doesn't wait for the same figures again.

An entry is used only while nothing was committed to the database since it was computed,
no event of its group has ended since (who came or didn't changes then), and it is less than
`TTL` seconds old. "Nothing was committed" is read without looking at the group's tables:
- PostgreSQL: the transaction snapshot (`pg_current_snapshot()`): every transaction that
  writes has an id, and once it ends the next snapshot is different;
- SQLite: `PRAGMA data_version` of a connection of our own that only ever reads it: it
  changes whenever another connection commits.
Any commit anywhere makes every entry stale: a busy site recomputes more often, never shows
an old figure. The stamp is read before the figures, and on SQLite the request's read
transaction is ended first, so the figures are never older than the stamp they are kept
under. Other databases (and SQLite in memory) aren't cached.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select, text

from ...extensions import db
from ...models import Event

TTL = 60.0  # seconds
MAX_ENTRIES = 128

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry:
    stamp: object
    until: datetime | None  # the next end of one of the group's events, when it was computed
    made: float  # time.monotonic()
    value: Any


_entries: OrderedDict[tuple, _Entry] = OrderedDict()
_lock = threading.Lock()
_watchers: dict[str, sqlite3.Connection] = {}


def _sqlite_version(path: str) -> int:
    """data_version of this process's watching connection to the database at `path`."""
    with _lock:
        conn = _watchers.get(path)
        if conn is None:
            conn = sqlite3.connect(path, check_same_thread=False)
            _watchers[path] = conn
        return conn.execute("PRAGMA data_version").fetchone()[0]


def _stamp() -> object | None:
    """What the database looks like now, as far as commits go; None: don't cache."""
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        snapshot = db.session.scalar(text("SELECT pg_current_snapshot()::text"))
        return ("postgresql", str(bind.url), snapshot)  # one server, several databases
    path = bind.url.database
    if bind.dialect.name != "sqlite" or not path or path == ":memory:":
        return None
    session = db.session()
    if session.in_transaction():  # begun before the stamp: the figures are read after it
        keep, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()  # a GET's read transaction: nothing to write, what's loaded kept
        finally:
            session.expire_on_commit = keep
    return ("sqlite", path, _sqlite_version(path))


def _next_end(group_id: int, now: datetime) -> datetime | None:
    return db.session.scalar(
        select(func.min(Event.ends_at)).where(
            Event.group_id == group_id, Event.cancelled_at.is_(None), Event.ends_at > now
        )
    )


def cached(key: tuple, group_id: int, now: datetime, compute: Callable[[], T]) -> T:
    """compute(), or what it returned last time for `key` if nothing has changed since."""
    stamp = _stamp()
    if stamp is None:
        return compute()
    with _lock:
        entry = _entries.get(key)
    if (
        entry is not None
        and entry.stamp == stamp
        and (entry.until is None or now < entry.until)
        and time.monotonic() - entry.made < TTL
    ):
        return entry.value
    until = _next_end(group_id, now)
    value = compute()
    with _lock:
        _entries[key] = _Entry(stamp, until, time.monotonic(), value)
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
