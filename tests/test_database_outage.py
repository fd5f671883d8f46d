"""A database that goes away mid-request: a 503 with a retry hint, never a 500 page, and no
secret in any log line (the message, the traceback, the statement's parameters)."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from meetup.extensions import db
from meetup.models import utcnow
from meetup.services.door import tickets
from tests.factories import make_event, make_group, make_rsvp, make_user


@pytest.fixture
def party(app):
    organizer = make_user(name="Olga")
    # Tonight: the door admits from a few hours before the start.
    event = make_event(
        make_group(organizer), title="Rust night", starts_at=utcnow() + timedelta(hours=1)
    )
    ana = make_rsvp(event, make_user(name="Ana"))
    app.testing = False  # log and answer as in production, instead of raising
    return organizer, event, ana


def _terminate(conn) -> None:
    """End this connection's backend for real (PostgreSQL), or fail as a lost SQLite
    file does: the statement about to run gets the driver's OperationalError."""
    if conn.dialect.name == "sqlite":
        raise sqlite3.OperationalError("disk I/O error")
    pid = conn.connection.dbapi_connection.info.backend_pid
    url = conn.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


@contextmanager
def backend_dies_when_it_reads(secret: str):
    """The first statement carrying `secret` as a parameter loses its backend."""
    fired = []

    def before(conn, _cursor, _statement, parameters, _context, _many):
        values = parameters.values() if isinstance(parameters, dict) else parameters or ()
        if not fired and secret in [str(v) for v in values]:
            fired.append(True)
            _terminate(conn)

    sa_event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield fired
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", before)


def test_a_check_in_that_loses_its_backend_answers_503_and_logs_no_token(
    app, login, party, caplog, capfd
):
    organizer, event, ana = party
    client = login(app.test_client(), organizer)
    caplog.set_level(logging.DEBUG)
    body = {"token": ana.ticket_token, "nonce": "nonce-0001"}
    with backend_dies_when_it_reads(ana.ticket_token) as fired:
        resp = client.post(f"/e/{event.key}/checkin", json=body)
    assert fired, "the check-in never read the token"
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert resp.headers["Retry-After"] == "5"
    assert resp.get_json()["error"] == "database_unavailable"
    logged = caplog.text + capfd.readouterr().err
    assert "answered 503" in logged
    assert ana.ticket_token not in logged
    # The next request gets a working connection and checks the ticket in.
    again = client.post(f"/e/{event.key}/checkin", json=body)
    assert again.status_code == 200 and again.get_json()["status"] == "checked_in"


def test_a_page_that_loses_its_backend_is_a_503_page(app, party):
    _organizer, _event, ana = party
    with backend_dies_when_it_reads(ana.ticket_token):
        resp = app.test_client().get(f"/t/{ana.ticket_token}")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert b"try again in a few seconds" in resp.data


def test_a_database_error_never_holds_its_parameters(app):
    secret = "Zk3-" + "q" * 28
    with pytest.raises(sa_exc.DBAPIError) as caught:
        db.session.execute(text("SELECT * FROM no_such_table WHERE x = :token"), {"token": secret})
    db.session.rollback()
    assert secret not in str(caught.value)


def test_a_traceback_holding_a_token_is_logged_without_it(app, party, caplog, capfd, monkeypatch):
    _organizer, _event, ana = party

    def fail(token):
        raise RuntimeError(f"no ticket {token} in the cache")

    monkeypatch.setattr(tickets, "find", fail)
    caplog.set_level(logging.ERROR)
    assert app.test_client().get(f"/t/{ana.ticket_token}").status_code == 500
    logged = caplog.text + capfd.readouterr().err
    assert f"RuntimeError: no ticket {ana.ticket_token[:4]}… in the cache" in logged
    assert ana.ticket_token not in logged
