"""One-tap pages on a phone with a slow network: the thumb taps again while the first tap is
still on its way. Links and tickets are single use, so a second request found them used or
gone and the page ended on an error ("already used", "Not found") although the first tap had
worked. Forms marked data-once (static/js/once.js) send once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Rsvp
from meetup.services.accounts import magic_links
from meetup.services.events import answers
from tests.e2e.browser_support import sign_in
from tests.factories import make_event, make_group, make_rsvp, make_user

pytestmark = pytest.mark.browser


def tap_thrice_on_a_slow_network(page, button: str) -> list[str]:
    """Three taps on `button` within 200 ms, with 800 ms of network latency; returns the
    POSTs the page sent. The taps come from the page itself: Playwright's own clicks would
    wait for the first one's navigation."""
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 800, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    page.evaluate(
        """(selector) => {
            const button = document.querySelector(selector);
            [0, 100, 200].forEach((ms) => setTimeout(() => button.click(), ms));
        }""",
        button,
    )
    return sent


def _status(rsvp_id: int) -> str:
    db.session.rollback()  # what the server committed
    return db.session.scalar(select(Rsvp.status).where(Rsvp.id == rsvp_id))


def test_giving_a_seat_up_sends_once(live_server, page):
    event = make_event(make_group(make_user()), capacity=1, title="Rust night")
    ana = make_rsvp(event, make_user(name="Ana"))
    wes = make_rsvp(event, make_user(name="Wes"), status="waitlisted")
    db.session.commit()
    page.goto(f"{live_server}/t/{ana.ticket_token}")
    page.get_by_text("Can't make it?").click()
    sent = tap_thrice_on_a_slow_network(page, ".ticket-give-up button")
    page.wait_for_selector("text=You gave up your seat at Rust night", timeout=15_000)
    assert len(sent) == 1
    assert (_status(ana.id), _status(wes.id)) == ("not_going", "going")


def test_a_sign_in_link_signs_in_once(live_server, page):
    make_user("ana@example.org")
    token = magic_links.issue("ana@example.org")
    db.session.commit()
    page.goto(f"{live_server}/login/link/{token}")
    sent = tap_thrice_on_a_slow_network(page, ".auth-card button[type=submit]")
    page.wait_for_selector("text=You're signed in as ana@example.org", timeout=15_000)
    assert len(sent) == 1


def test_an_rsvp_link_confirms_once(live_server, page):
    event = make_event(make_group(make_user()), capacity=5, title="Rust night")
    rsvp, token = answers.request_by_email(event, "bea@example.org", "Bea")
    db.session.commit()
    page.goto(f"{live_server}/rsvp/confirm/{token}")
    sent = tap_thrice_on_a_slow_network(page, ".rsvp-confirm button[type=submit]")
    page.wait_for_selector(".rsvp-panel >> text=You're going!", timeout=15_000)
    assert len(sent) == 1
    assert _status(rsvp.id) == "going"


def test_giving_a_seat_from_the_waitlist_happens_once(app, live_server, page):
    """An organizer's "Give a seat": a second tap found the person seated already and the page
    ended on "Only someone on the waitlist can be promoted"."""
    organizer = make_user(name="Olga")
    event = make_event(make_group(organizer), capacity=1, title="Rust night")
    make_rsvp(event, make_user(name="Ana"))
    wes = make_rsvp(event, make_user(name="Wes"), status="waitlisted")
    event.capacity = 2  # a seat is free: no "over capacity" needed
    db.session.commit()
    sign_in(app, page.context, organizer, live_server)
    page.goto(f"{live_server}/e/{event.key}/attendees")
    sent = tap_thrice_on_a_slow_network(page, ".attendee-promote button[type=submit]")
    page.wait_for_selector("text=Wes now has a seat.", timeout=15_000)
    assert len(sent) == 1
    assert _status(wes.id) == "going"
