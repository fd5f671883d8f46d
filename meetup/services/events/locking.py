"""The lock that every "count then insert" runs under.

PostgreSQL: SELECT ... FOR UPDATE on the event row, after an advisory lock on (1, event id)
that keeps requests in turn: the function event_lock() (migration 0007) takes both. The RSVP
path takes it shared to join a full event's waitlist. SQLite: writing requests run in
BEGIN IMMEDIATE transactions (see database.py), which already serialise writers, so there
is nothing more to take here.
"""

import time

from flask import current_app
from sqlalchemy import bindparam, select, text

from ...extensions import db
from ...models import Event

_EVENT_ID = select(Event.id).where(Event.id == bindparam("event_id"))
_LOCK = text("SELECT event_lock(:event_id, false)")


def lock_event(event_id: int) -> None:
    if current_app.config["TESTING_SKIP_LOCKS"]:
        # Negative control for the concurrency tests: no lock (see widen_race_window).
        db.session.execute(_EVENT_ID, {"event_id": event_id})
        return
    # On the session's connection (Core): the ORM's execute path cost more than the lock.
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK, {"event_id": event_id})


def widen_race_window() -> None:
    """Called between a count and the write that depends on it. Only under the negative
    control: a short sleep there makes the race the lock prevents show up reliably."""
    if current_app.config["TESTING_SKIP_LOCKS"]:
        time.sleep(0.01)
