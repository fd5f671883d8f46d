"""The RSVP flow in Chromium at phone size: open the event link, RSVP signed out, confirm by
the emailed link, get a seat; a waitlisted person is promoted when someone cancels; another
leaves the waitlist from the link in their email.

Screenshots of each panel state and of the organizer's list go to $SCREENSHOT_DIR (default:
the test's temporary folder), to be looked at.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import OutboxMessage, Rsvp, User
from tests.e2e.browser_support import sign_in
from tests.factories import make_event, make_group, make_rsvp, make_user, send_outbox

pytestmark = pytest.mark.browser


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _fresh(stmt):
    db.session.rollback()  # see what the server committed
    return db.session.scalar(stmt)


def _mail_to(email: str, subject_part: str) -> OutboxMessage:
    db.session.rollback()  # see what the server committed
    send_outbox()  # the worker's pass: RSVP notices are written when sent
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_addr == email).order_by(OutboxMessage.id)
    ).all()
    return next(m for m in reversed(rows) if subject_part in m.subject)


def _status(event, email: str) -> str | None:
    return _fresh(
        select(Rsvp.status)
        .join(User, User.id == Rsvp.user_id)
        .where(Rsvp.event_id == event.id, User.email == email)
    )


def _event_url(app, base: str, key: str) -> str:
    if "events.show" in app.view_functions:
        return f"{base}/e/{key}"
    return f"{base}/e/{key}/rsvp"


def _rsvp_signed_out(page, url: str, name: str, email: str) -> None:
    page.goto(url)
    page.fill("input[name=name]", name)
    page.fill("input[name=email]", email)
    page.locator("#rsvp-main button[name=answer]").click()
    # Told where the page lands (the panel), not above it out of view.
    told = page.locator("#rsvp .rsvp-status", has_text=f"We emailed a link to {email}")
    expect(told).to_be_in_viewport()


def _confirm_from_email(
    page, email: str, subject="Confirm your RSVP", button="Confirm: I'm going", shot=None
) -> None:
    db.session.rollback()
    mail = _mail_to(email, subject)
    link = re.search(r"(http://127\.0\.0\.1:\d+/rsvp/confirm/\S+)", mail.body_text).group(1)
    page.goto(link)
    if shot:
        page.screenshot(path=str(shot), full_page=True)
    page.get_by_role("button", name=button).click()
    page.wait_for_selector(".rsvp-panel")


def _panel_shot(page, shots: Path, name: str) -> None:
    page.locator(".rsvp-panel").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"rsvp-{name}.png"), full_page=True)


def test_rsvp_confirm_and_promotion_in_the_browser(app, live_server, browser, shots):
    organizer = make_user(name="Olga Organizer")
    event = make_event(make_group(organizer), capacity=1, title="Rust & Coffee")
    url = _event_url(app, live_server, event.key)
    phone = {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    }
    ana_ctx, ben_ctx, org_ctx = (browser.new_context(**phone) for _ in range(3))
    ana, ben = ana_ctx.new_page(), ben_ctx.new_page()

    # Ana: signed out, name + email, then the emailed link: she gets the only seat.
    ana.goto(url)
    _panel_shot(ana, shots, "1-signed-out")
    _rsvp_signed_out(ana, url, "Ana", "ana@example.org")
    assert _status(event, "ana@example.org") == "pending"
    _confirm_from_email(ana, "ana@example.org")
    assert ana.get_by_text("You're going!", exact=True).is_visible()
    assert _status(event, "ana@example.org") == "going"
    _panel_shot(ana, shots, "2-going")

    # Ben: the event is full, so the same flow puts him on the waitlist, first in line.
    ben.goto(url)
    assert ben.get_by_text("Full").first.is_visible()
    _panel_shot(ben, shots, "3-full-signed-out")
    _rsvp_signed_out(ben, url, "Ben", "ben@example.org")
    # The email and its page say he is joining the waitlist, not going.
    _confirm_from_email(
        ben,
        "ben@example.org",
        "Confirm you're joining the waitlist",
        "Confirm: join the waitlist",
        shot=shots / "rsvp-3b-confirm-waitlist.png",
    )
    assert ben.get_by_text("You're number 1 on the waitlist", exact=True).is_visible()
    assert _status(event, "ben@example.org") == "waitlisted"
    _panel_shot(ben, shots, "4-waitlisted")

    # The organizer's list at phone size.
    sign_in(app, org_ctx, organizer, live_server)
    org = org_ctx.new_page()
    org.goto(f"{live_server}/e/{event.key}/attendees")
    assert org.get_by_text("Ana").first.is_visible()
    org.screenshot(path=str(shots / "rsvp-5-organizer.png"), full_page=True)

    # Ana can't go after all: Ben is promoted at once and emailed his ticket.
    # It asks once first (the seat goes to Ben at once): nothing moves before she says yes.
    ana.get_by_role("button", name="I can't go anymore").click()
    ana.wait_for_selector("text=Give up your seat?")
    assert ana.get_by_text("1 person is waiting for a seat").is_visible()
    assert _status(event, "ana@example.org") == "going"
    ana.screenshot(path=str(shots / "rsvp-5b-cant-go-asks.png"), full_page=True)
    ana.get_by_role("button", name="Yes, give up my seat").click()
    ana.wait_for_selector("text=You said you can't go.")
    assert _status(event, "ana@example.org") == "not_going"
    assert _status(event, "ben@example.org") == "going"
    promoted = _mail_to("ben@example.org", "A seat opened up")
    ticket = _fresh(
        select(Rsvp.ticket_token)
        .join(User, User.id == Rsvp.user_id)
        .where(User.email == "ben@example.org")
    )
    assert f"/t/{ticket}" in promoted.body_text
    ben.reload()
    assert ben.get_by_text("You're going!", exact=True).is_visible()
    _panel_shot(ben, shots, "6-promoted")
    for ctx in (ana_ctx, ben_ctx, org_ctx):
        ctx.close()


def test_the_organizer_finds_someone_in_the_list_accents_or_not(app, live_server, browser):
    organizer = make_user(name="Olga Organizer")
    event = make_event(make_group(organizer), capacity=2, title="Rust & Coffee")
    everyone = ["Elena García", "Ben Okafor", "Chloé Dubois"]  # in the list's order
    for name, status in zip(everyone, ("going", "going", "waitlisted"), strict=True):
        make_rsvp(event, make_user(name=name), status=status)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    sign_in(app, context, organizer, live_server)
    page = context.new_page()
    page.goto(f"{live_server}/e/{event.key}/attendees")
    find = page.get_by_placeholder("Find someone by name or email")
    people = page.locator(".attendee:visible .attendee-name")

    assert find.is_visible() and people.all_inner_texts() == everyone
    find.fill("garcia")
    assert people.all_inner_texts() == ["Elena García"]
    find.fill("CHLOE")  # the waitlist is searched too
    assert people.all_inner_texts() == ["Chloé Dubois"]
    find.fill("@example")  # emails too
    assert people.all_inner_texts() == everyone
    find.fill("zoe")
    assert people.count() == 0 and page.get_by_text("No one by that name or email.").is_visible()
    find.fill("")
    assert people.count() == 3 and not page.get_by_text("No one by that name").is_visible()
    context.close()


def test_leaving_the_waitlist_from_the_email_at_phone_size(app, live_server, browser, shots):
    from meetup.services.events import answers

    event = make_event(make_group(make_user()), capacity=1, title="Rust & Coffee")
    ana, ben, cleo = (make_user(name=n) for n in ("Ana", "Ben", "Cleo"))
    for person in (ana, ben, cleo):
        answers.answer(event, person, True)
    db.session.commit()
    waiting = _mail_to(ben.email, "You're on the waitlist")
    link = re.search(r"(http://127\.0\.0\.1:\d+/rsvp/leave/\S+)", waiting.body_text).group(1)

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(link)
    expect(page.get_by_text("you're number 1 on the waitlist")).to_be_visible()
    button = page.get_by_role("button", name="Leave the waitlist")
    expect(button).to_be_in_viewport()
    page.screenshot(path=str(shots / "rsvp-7-leave-waitlist.png"))
    button.click()
    expect(page.get_by_text("You left the waitlist for Rust & Coffee")).to_be_in_viewport()
    assert _status(event, ben.email) == "not_going"
    assert _status(event, cleo.email) == "waitlisted" and _status(event, ana.email) == "going"
    context.close()
