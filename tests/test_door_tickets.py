"""The ticket page and its QR code."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from meetup import qr_codes
from meetup.extensions import db
from meetup.models import OutboxMessage, utcnow
from meetup.services.door import tickets
from meetup.timeutil import format_in_zone
from meetup.urls import ticket_url
from tests.factories import csrf_in, make_event, make_group, make_rsvp, make_user


@pytest.fixture
def ticket(app):
    group = make_group(make_user(name="Olga Organizer"))
    event = make_event(
        group,
        title="Rust night",
        starts_at=datetime(2031, 3, 14, 18, 30, tzinfo=UTC),
        timezone="Europe/Paris",
        venue_name="The Loft",
        venue_address="1 Rue de Rivoli, Paris",
    )
    return make_rsvp(event, make_user(name="Ana Attendee"))


def test_ticket_page_shows_event_name_time_in_zone_venue_and_qr(client, ticket):
    resp = client.get(f"/t/{ticket.ticket_token}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Ana Attendee" in html
    assert "Rust night" in html
    assert "19:30" in html  # 18:30 UTC in Paris (CET)
    assert "The Loft" in html and "1 Rue de Rivoli, Paris" in html
    assert "openstreetmap.org/search?query=1%20Rue%20de%20Rivoli" in html
    assert f"/t/{ticket.ticket_token}/qr.svg" in html
    assert 'name="robots" content="noindex' in html
    assert resp.headers["X-Robots-Tag"].startswith("noindex")


def test_unknown_and_malformed_tokens_are_404(client, ticket):
    for token in ["A" * 32, "short", ticket.ticket_token[:-1] + "!", "x" * 200]:
        assert client.get(f"/t/{token}").status_code == 404
        assert client.get(f"/t/{token}/qr.svg").status_code == 404


@pytest.mark.parametrize(
    "status, text",
    [("waitlisted", "waitlist"), ("pending", "not confirmed"), ("not_going", "cancelled")],
)
def test_rsvp_that_is_not_going_shows_its_status_and_no_qr(client, ticket, status, text):
    ticket.status = status
    db.session.commit()
    resp = client.get(f"/t/{ticket.ticket_token}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert text in html
    assert "qr.svg" not in html
    assert client.get(f"/t/{ticket.ticket_token}/qr.svg").status_code == 404


def test_after_the_event_a_ticket_says_how_it_went_and_shows_no_code(client, ticket):
    now = utcnow()
    event = ticket.event
    event.starts_at, event.ends_at = now - timedelta(hours=3), now - timedelta(hours=1)
    db.session.commit()
    html = client.get(f"/t/{ticket.ticket_token}").get_data(as_text=True)
    assert "This event has ended." in html
    assert "qr.svg" not in html and "Add to calendar" not in html

    ticket.checked_in_at = event.starts_at + timedelta(minutes=7)
    db.session.commit()
    at = format_in_zone(ticket.checked_in_at, event.timezone, "HH:mm")
    html = client.get(f"/t/{ticket.ticket_token}").get_data(as_text=True)
    assert f"You were there: checked in at {at}" in html and "qr.svg" not in html


def test_a_cancelled_events_ticket_says_so_and_shows_no_code(client, ticket):
    ticket.event.cancelled_at = utcnow()
    db.session.commit()
    html = client.get(f"/t/{ticket.ticket_token}").get_data(as_text=True)
    assert "This event was cancelled." in html
    assert "qr.svg" not in html and "Add to calendar" not in html


def test_cancelled_ticket_with_cleared_token_is_gone(client, ticket):
    old = ticket.ticket_token
    ticket.status, ticket.ticket_token = "not_going", None  # what cancelling does
    db.session.commit()
    assert client.get(f"/t/{old}").status_code == 404
    assert client.get(f"/t/{old}/qr.svg").status_code == 404


def test_qr_is_svg_with_long_cache_and_etag(client, ticket):
    url = f"/t/{ticket.ticket_token}/qr.svg"
    resp = client.get(url)
    assert resp.status_code == 200
    assert resp.mimetype == "image/svg+xml"
    assert resp.data.startswith(b"<svg") or b"<svg" in resp.data[:200]
    assert "max-age=31536000" in resp.headers["Cache-Control"]
    etag = resp.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_qr_rasterised_decodes_with_zbar_to_the_ticket_url(client, ticket, tmp_path):
    svg = tmp_path / "ticket.svg"
    png = tmp_path / "ticket.png"
    svg.write_bytes(client.get(f"/t/{ticket.ticket_token}/qr.svg").data)
    subprocess.run(
        ["rsvg-convert", "-w", "330", "-b", "white", str(svg), "-o", str(png)], check=True
    )
    decoded = subprocess.run(
        ["zbarimg", "-q", "--raw", str(png)], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert decoded == ticket_url(ticket.ticket_token)
    assert decoded == f"http://localhost/t/{ticket.ticket_token}"


def test_qr_has_quiet_zone_of_four_modules():
    svg = qr_codes.qr_svg("http://localhost/t/" + "a" * 32).decode()
    # SvgPathImage draws modules in a viewBox of (modules + 2 * border); the first dark
    # module (a finder pattern corner) sits at the border.
    assert 'd="M4,4H5V5H4z' in svg


def test_ticket_tokens_carry_at_least_128_bits(ticket):
    import base64

    raw = base64.urlsafe_b64decode(ticket.ticket_token + "=" * (-len(ticket.ticket_token) % 4))
    assert len(raw) * 8 >= 128


@pytest.mark.parametrize(
    "scanned, expected",
    [
        ("http://localhost/t/abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvwx"),
        ("https://meet.example.org/t/abcdefghijklmnopqrstuvwx/", "abcdefghijklmnopqrstuvwx"),
        ("  abcdefghijklmnopqrstuvwx\n", "abcdefghijklmnopqrstuvwx"),
        ("http://localhost/e/abcdefghijklmnopqrstuvwx", None),
        ("WIFI:S:guest;T:WPA;P:secret;;", None),
        ("", None),
        ("http://localhost/t/abc", None),
    ],
)
def test_token_from_scan(scanned, expected):
    assert tickets.token_from_scan(scanned) == expected


# ---------------------------------------------------------------- giving up a seat


def _give_up_form(client, token: str) -> tuple[str, str]:
    page = client.get(f"/t/{token}").get_data(as_text=True)
    action = re.search(r'action="(/t/[^"]+/give-up)"', page)
    assert action, "no give-up form on the ticket"
    return action[1], csrf_in(page)


def test_the_ticket_holder_gives_up_the_seat_without_signing_in(client, csrf_on, ticket):
    """Two taps from the ticket: the seat goes to the next in line, who is emailed, and the
    holder gets a "cancelled" email as if they had answered on the event page."""
    event = ticket.event
    event.capacity = 1
    wes = make_rsvp(event, make_user(name="Wes"), status="waitlisted")
    db.session.commit()
    token = ticket.ticket_token
    action, csrf = _give_up_form(client, token)
    assert client.post(action).status_code == 400  # CSRF, as for every POST
    resp = client.post(action, data={"csrf_token": csrf})
    assert resp.status_code == 303 and resp.headers["Location"] == f"/e/{event.key}"
    db.session.expire_all()
    assert (ticket.status, ticket.ticket_token) == ("not_going", None)
    assert wes.status == "going" and wes.ticket_token
    subjects = [
        (m.to_addr, m.subject)
        for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    ]
    assert (ticket.user.email, "RSVP cancelled: Rust night") in subjects
    assert (wes.user.email, "A seat opened up for you: Rust night") in subjects
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "You gave up your seat at Rust night" in page
    # the old ticket is gone, and so is a second try
    assert client.get(f"/t/{token}").status_code == 404
    assert client.post(action, data={"csrf_token": csrf}).status_code == 404


def test_a_members_only_events_seat_given_up_signed_out_lands_on_the_home_page(client, ticket):
    ticket.event.visibility = "members"
    db.session.commit()
    action, _csrf = _give_up_form(client, ticket.ticket_token)
    resp = client.post(action)
    assert resp.status_code == 303 and resp.headers["Location"] == "/"
    assert "You gave up your seat" in client.get("/").get_data(as_text=True)


def test_once_the_event_is_on_the_ticket_offers_no_give_up(client, ticket):
    token = ticket.ticket_token
    _give_up_form(client, token)
    ticket.event.starts_at = utcnow() - timedelta(minutes=5)
    ticket.event.ends_at = utcnow() + timedelta(hours=2)
    db.session.commit()
    assert "give-up" not in client.get(f"/t/{token}").get_data(as_text=True)
    resp = client.post(f"/t/{token}/give-up")
    assert resp.status_code == 409
    db.session.refresh(ticket)
    assert ticket.status == "going"
