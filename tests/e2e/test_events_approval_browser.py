"""Approval in Chromium at phone size: a member asks to join and sees "Request sent"; the
organizer, on their phone, sees the requests waiting, ticks two and approves both at once.

Screenshots go to $SCREENSHOT_DIR (default: the test's temporary folder), to be looked at.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Rsvp, utcnow
from tests.e2e.browser_support import PHONE, sign_in
from tests.factories import add_member, make_event, make_group, make_rsvp, make_user

pytestmark = pytest.mark.browser


def test_the_organizer_approves_two_requests_at_once_from_a_phone(
    app, live_server, browser, tmp_path
):
    shots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    organizer = make_user(name="Olga Organizer")
    group = make_group(organizer)
    event = make_event(
        group,
        title="Founders & investors dinner",
        capacity=12,
        requires_approval=True,
        hide_address=True,
        venue_name="Le Comptoir",
        venue_address="9 Secret Courtyard, Paris",
    )
    ana, ben, cy = (make_user(name=n) for n in ("Ana Lima", "Ben Okafor", "Cy Martin"))
    for person in (ana, ben, cy):
        add_member(group, person)
    past = make_event(group, starts_at=utcnow().replace(microsecond=0) - timedelta(days=20))
    make_rsvp(past, ben, checked_in_at=past.starts_at)
    for person, words in ((ben, "Seed investors"), (cy, "A first hire")):
        make_rsvp(event, person, status="requested", looking_for=words)

    # Ana asks from her phone and is told it's a request, with the address kept back.
    ana_ctx = browser.new_context(**PHONE)
    sign_in(app, ana_ctx, ana, live_server)
    page = ana_ctx.new_page()
    page.goto(f"{live_server}/e/{event.key}")
    expect(page.get_by_text("The address is shared once you are approved.")).to_be_visible()
    page.get_by_role("button", name="Ask to join").click()
    status = page.locator("#rsvp .rsvp-status", has_text="Request sent: the organizer will confirm")
    expect(status).to_be_in_viewport()
    page.screenshot(path=str(shots / "approval-1-requested.png"))

    # The organizer's phone: the count on the event page, then the list.
    org_ctx = browser.new_context(**PHONE)
    sign_in(app, org_ctx, organizer, live_server)
    org = org_ctx.new_page()
    org.goto(f"{live_server}/e/{event.key}")
    waiting = org.locator("#requests-waiting")
    expect(waiting).to_contain_text("3 requests waiting for you")
    waiting.scroll_into_view_if_needed()
    org.screenshot(path=str(shots / "approval-0-organizer-event.png"))
    waiting.get_by_role("link", name="Review requests").click()
    expect(org.get_by_role("heading", name="Requests to join")).to_be_visible()
    expect(org.locator("#request-" + str(_id(event, ben)))).to_contain_text("came 1 time")
    org.screenshot(path=str(shots / "approval-2-list.png"), full_page=True)
    org.get_by_label("Choose Ben Okafor").check()
    org.get_by_label("Choose Ana Lima").check()
    bar = org.locator(".approval-bar")
    expect(bar).to_be_in_viewport()  # within thumb's reach, wherever the list is scrolled
    bar.get_by_role("button", name="Approve").click()
    expect(org.get_by_text("2 approved")).to_be_visible()
    org.screenshot(path=str(shots / "approval-3-approved.png"), full_page=True)

    db.session.rollback()  # what the server committed
    statuses = dict(
        db.session.execute(select(Rsvp.user_id, Rsvp.status).where(Rsvp.event_id == event.id)).all()
    )
    assert (statuses[ana.id], statuses[ben.id], statuses[cy.id]) == (
        "going",
        "going",
        "requested",
    )
    expect(org.locator(".approval-card")).to_have_count(1)  # Cy still waits
    # Declining asks first (it emails at once), then says it's done.
    org.locator(".approval-card").get_by_role("button", name="Decline").click()
    expect(org.get_by_role("heading", name="Decline 1 request?")).to_be_visible()
    org.screenshot(path=str(shots / "approval-4-decline.png"))
    org.get_by_role("button", name="Decline and send the email").click()
    expect(org.get_by_text("1 declined")).to_be_visible()
    org.get_by_text("Declined (1)").click()
    expect(org.get_by_role("button", name="Approve after all")).to_be_visible()
    org.screenshot(path=str(shots / "approval-5-declined.png"), full_page=True)

    # Ana's page now shows her seat and the address.
    page.goto(f"{live_server}/e/{event.key}")
    expect(page.get_by_text("You're going!", exact=True)).to_be_visible()
    expect(page.get_by_text("9 Secret Courtyard, Paris")).to_be_visible()


def _id(event, user) -> int:
    return db.session.scalar(
        select(Rsvp.id).where(Rsvp.event_id == event.id, Rsvp.user_id == user.id)
    )
