"""SQLite's writers' queue (meetup/database.py): a write transaction holds the flock from
BEGIN IMMEDIATE to its end, whatever way it ends; readers never take it."""

from __future__ import annotations

import fcntl
import os
import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from meetup import database
from meetup.extensions import db
from meetup.models import Group


@pytest.fixture(autouse=True)
def writing(app):
    """SQLite only; test code reads by default (conftest), these tests write as requests do."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the writers' queue is SQLite's")
    token = database.set_write_intent(True)
    yield
    db.session.rollback()
    database.reset_write_intent(token)


def queue_is_free() -> bool:
    """Asked from another open file description, as another process would."""
    fd = os.open(f"{db.engine.url.database}-writer.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def test_a_write_holds_the_queue_until_commit():
    db.session.execute(text("SELECT 1"))
    assert not queue_is_free()
    db.session.add(Group(slug="q", name="Queue"))
    db.session.commit()
    assert queue_is_free()


def test_rollback_and_errors_pass_the_queue_on():
    db.session.add(Group(slug="q", name="Queue"))
    db.session.flush()
    assert not queue_is_free()
    db.session.rollback()
    assert queue_is_free()

    db.session.add_all([Group(slug="same", name="A"), Group(slug="same", name="B")])
    with pytest.raises(Exception):  # noqa: B017 - the unique slug, whatever the driver calls it
        db.session.flush()
    db.session.rollback()
    assert queue_is_free()
    assert db.session.scalar(text("SELECT count(*) FROM groups")) == 0


def test_reads_do_not_queue():
    token = database.set_write_intent(False)
    try:
        db.session.execute(text("SELECT 1"))
        assert queue_is_free()
    finally:
        db.session.rollback()
        database.reset_write_intent(token)


def test_writers_in_threads_take_turns_and_lose_nothing(app):
    """Connections of one process queue against each other too (one open file each)."""

    def add(n: int) -> None:
        with app.app_context():  # a fresh context: write intent is the default, True
            for i in range(10):
                db.session.add(Group(slug=f"t{n}-{i}", name="T"))
                db.session.commit()

    threads = [threading.Thread(target=add, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert queue_is_free()
    assert db.session.scalar(text("SELECT count(*) FROM groups")) == 40


def test_a_second_writer_in_the_same_thread_fails_instead_of_hanging():
    """It can't proceed either way (SQLite's lock is ours): without the skip it would wait
    on its own thread's flock forever; with it, SQLite's busy timeout answers."""
    db.session.execute(text("SELECT 1"))  # this thread holds the queue and the write lock
    with db.engine.connect() as other:
        other.connection.dbapi_connection.execute("PRAGMA busy_timeout=50")
        with pytest.raises(OperationalError, match="locked"):
            other.execute(text("SELECT 1"))
    db.session.rollback()
    assert queue_is_free()


def test_reads_first_then_writes_takes_the_lock_for_the_writes_only():
    database.set_write_intent(False)  # as @reads_first does
    db.session.add(Group(slug="before", name="Read before the write"))
    db.session.commit()
    group = db.session.scalar(select(Group).where(Group.slug == "before"))
    assert queue_is_free()  # reading: no lock

    database.begin_writes(db.session)
    assert "name" in group.__dict__  # what was read stays loaded: no reload under the lock
    group.name = "Written"
    db.session.flush()
    assert not queue_is_free()
    database.commit_writes(db.session)
    assert queue_is_free()
    assert group.__dict__["name"] == "Written"  # kept as written: no reload to report it
    assert db.session.scalar(select(Group.name).where(Group.slug == "before")) == "Written"
    assert queue_is_free()  # read after the commit as a reader
