"""Announcing on a phone: the organizer taps once after a preview and sees the progress; a
member taps "I'm going" in the email, signed out, and confirms with one button."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Rsvp
from meetup.services.events import announcements
from meetup.worker import jobs, notices
from tests.e2e.browser_support import PHONE, sign_in
from tests.factories import add_member, make_event, make_group, make_user

pytestmark = pytest.mark.browser


def test_announce_then_answer_from_the_email_on_a_phone(app, live_server, browser, tmp_path):
    org = make_user(name="Olga")
    group = make_group(org, name="Rust Paris")
    ana = make_user("ana@example.org", name="Ana")
    add_member(group, ana)
    event = make_event(group, title="Rust night", capacity=20)

    organizer = browser.new_context(**PHONE)
    sign_in(app, organizer, org, live_server)
    page = organizer.new_page()
    page.goto(f"{live_server}/e/{event.key}")
    page.get_by_role("button", name="Announce by email").click()
    page.get_by_text("Preview").wait_for()
    page.screenshot(path=str(tmp_path / "announce.png"), full_page=True)
    page.get_by_role("button", name="Send to 2 people").first.click()
    page.get_by_text("Getting the emails ready").wait_for()
    db.session.rollback()
    jobs.run_jobs(jobs=[announcements.queue_announcements])
    page.get_by_text("Sent to 2 people").wait_for(timeout=10_000)  # the page reloads itself
    organizer.close()

    db.session.rollback()
    written = notices.write(
        {"type": "announcement", "event_id": event.id, "kind": "event", "user_id": ana.id},
        to_name="Ana",
        subject="Rust night",
    )
    going = re.search(r"\S+/m/answer/\S+answer=going\S*", written.body_text).group(0)
    phone = browser.new_context(**PHONE)
    member = phone.new_page()
    member.goto(going)
    db.session.rollback()
    assert db.session.scalar(select(Rsvp)) is None  # opening the link answered nothing
    member.screenshot(path=str(tmp_path / "answer.png"))
    member.get_by_role("button", name="Confirm: I'm going").tap()
    member.get_by_text("You’re going!").wait_for()
    member.screenshot(path=str(tmp_path / "going.png"))
    db.session.rollback()
    assert db.session.scalar(select(Rsvp.status).where(Rsvp.user_id == ana.id)) == "going"
    phone.close()
