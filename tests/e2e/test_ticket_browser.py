"""The ticket in Chromium at phone size: giving a seat up sends once, however often tapped."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Rsvp
from tests.factories import make_event, make_group, make_rsvp, make_user

pytestmark = pytest.mark.browser


def test_giving_a_seat_up_sends_once_however_often_it_is_tapped(live_server, page):
    """On a venue's slow network the first tap is still on its way when the thumb taps
    again. A second request found the ticket gone: the page ended on "Not found" instead of
    saying the seat was given up."""
    event = make_event(make_group(make_user()), capacity=1, title="Rust night")
    ana = make_rsvp(event, make_user(name="Ana"))
    wes = make_rsvp(event, make_user(name="Wes"), status="waitlisted")
    db.session.commit()
    sent = []
    page.on("request", lambda r: sent.append(r.method) if r.url.endswith("/give-up") else None)
    page.goto(f"{live_server}/t/{ana.ticket_token}")
    page.get_by_text("Can't make it?").click()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 800, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    # Three taps within 200 ms, from the page itself (Playwright's own clicks would wait for
    # the first one's navigation).
    page.evaluate(
        """() => {
            const button = document.querySelector(".ticket-give-up button");
            [0, 100, 200].forEach((ms) => setTimeout(() => button.click(), ms));
        }"""
    )
    page.wait_for_selector("text=You gave up your seat at Rust night", timeout=15_000)
    assert sent == ["POST"]
    db.session.rollback()  # what the server committed
    assert db.session.scalar(select(Rsvp.status).where(Rsvp.id == ana.id)) == "not_going"
    assert db.session.scalar(select(Rsvp.status).where(Rsvp.id == wes.id)) == "going"
