"""The lock that every "count then insert" runs under.

PostgreSQL: SELECT ... FOR UPDATE on the event row. SQLite: writing requests run in
BEGIN IMMEDIATE transactions (see database.py), which already serialise writers, so
there is nothing more to take here.
"""

import time

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Event


def lock_event(event_id: int) -> None:
    if current_app.config["TESTING_SKIP_LOCKS"]:
        # Negative control for the concurrency tests: no lock (see widen_race_window).
        db.session.execute(select(Event.id).where(Event.id == event_id))
        return
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Event.id).where(Event.id == event_id).with_for_update())


def widen_race_window() -> None:
    """Called between a count and the write that depends on it. Only under the negative
    control: a short sleep there makes the race the lock prevents show up reliably."""
    if current_app.config["TESTING_SKIP_LOCKS"]:
        time.sleep(0.01)
