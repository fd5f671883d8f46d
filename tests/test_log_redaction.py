"""A link's secret never reaches the server's log: whoever reads it can't use the link."""

from __future__ import annotations

import logging
import urllib.request

import pytest

from meetup.extensions import db
from meetup.log_redaction import redact
from meetup.services.accounts import magic_links
from meetup.services.door import tickets
from tests.conftest import serve
from tests.factories import make_event, make_group, make_rsvp, make_user


@pytest.fixture
def ticket(app):
    event = make_event(make_group(make_user()), title="Rust night")
    rsvp = make_rsvp(event, make_user(name="Ana Attendee"))
    db.session.commit()
    return rsvp


def _logged(caplog) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def test_the_development_server_logs_request_lines_without_link_secrets(app, ticket, caplog):
    link = magic_links.issue("ana@example.org")
    db.session.commit()
    paths = [
        f"/t/{ticket.ticket_token}",
        f"/t/{ticket.ticket_token}/qr.svg",
        f"/login/link/{link}",
        f"/e/{ticket.event.key}",
    ]
    caplog.set_level(logging.INFO, logger="werkzeug")
    with serve(app) as base:
        for path in paths:
            with urllib.request.urlopen(base + path, timeout=10) as resp:
                assert resp.status == 200
    logged = _logged(caplog)
    assert f'"GET /t/{ticket.ticket_token[:4]}… HTTP/1.1" 200' in logged
    assert f"/t/{ticket.ticket_token[:4]}…/qr.svg" in logged
    assert f"/login/link/{link[:4]}… " in logged
    for secret in (ticket.ticket_token, link):
        assert secret not in logged
    # What isn't a secret stays readable: the event key is in every shared event link.
    assert f'"GET /e/{ticket.event.key} HTTP/1.1" 200' in logged


def test_an_error_on_a_ticket_is_logged_without_its_secret(app, ticket, caplog, monkeypatch):
    def fail(_token):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(tickets, "find", fail)
    app.testing = False  # log and answer 500, as in production, instead of raising
    caplog.set_level(logging.ERROR)
    resp = app.test_client().get(f"/t/{ticket.ticket_token}")
    assert resp.status_code == 500
    logged = _logged(caplog)
    assert f"Exception on /t/{ticket.ticket_token[:4]}… [GET]" in logged
    assert "RuntimeError: the database went away" in caplog.text  # the traceback is kept
    assert ticket.ticket_token not in caplog.text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("GET /cal/AbCdEfGhIjKlMnOpQrStUvWxYz012345.ics", "GET /cal/AbCd….ics"),
        # A signed link: what it says is no secret, its signature is.
        (
            "POST /rsvp/leave/WzEsIjIwMjYifQ.aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_AbCdEfG",
            "POST /rsvp/leave/WzEsIjIwMjYifQ.aBcD…",
        ),
        ("GET /e/HtMkvMA0wdI/door", "GET /e/HtMkvMA0wdI/door"),
        ("GET /g/paris-data", "GET /g/paris-data"),
        # A long name in a traceback stays readable; a hash of a password does not.
        ('File "x.py", in _redacting_record_factory', 'File "x.py", in _redacting_record_factory'),
        (
            "scrypt:32768:8:1$Qx7bT2m$4f9a0c1e2d3b4a5f6e7d8c9b0a1f2e3d",
            "scrypt:32768:8:1$Qx7bT2m$4f9a…",
        ),
    ],
)
def test_what_is_cut_short(text, expected):
    assert redact(text) == expected
