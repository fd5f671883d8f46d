"""Questions at RSVP in Chromium at phone size: the organizer adds a one-choice question and
a box to tick, an attendee answers them as they say Going, and the organizer reads the
answers on the attendee list. Screenshots go to $SCREENSHOT_DIR (default: the test's
temporary folder), to be looked at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Rsvp
from tests.e2e.browser_support import PHONE, sign_in
from tests.factories import make_event, make_group, make_user

pytestmark = pytest.mark.browser


def test_questions_asked_answered_and_read_on_a_phone(app, live_server, browser, tmp_path):
    shots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    organizer, ana = make_user(name="Olga Organizer"), make_user(name="Ana")
    event = make_event(make_group(organizer), capacity=10, title="Rust & Coffee")

    org_ctx = browser.new_context(**PHONE)
    sign_in(app, org_ctx, organizer, live_server)
    org = org_ctx.new_page()
    org.goto(f"{live_server}/e/{event.key}")
    org.get_by_role("button", name="Questions at RSVP").click()
    org.get_by_label("Question", exact=True).fill("Dietary needs")
    org.get_by_label("Kind of answer").select_option("one_choice")
    org.get_by_label("Choices, one per line").fill("None\nVegetarian\nVegan")
    org.get_by_label("An answer is required").check()
    org.get_by_role("button", name="Add the question").click()
    expect(org.get_by_text("Question added.")).to_be_visible()
    org.get_by_label("Question", exact=True).fill("I accept the code of conduct")
    org.get_by_label("Kind of answer").select_option("checkbox")
    org.get_by_label("An answer is required").check()
    org.get_by_role("button", name="Add the question").click()
    expect(org.locator(".question-item")).to_have_count(2)
    org.screenshot(path=str(shots / "questions-1-organizer.png"), full_page=True)

    ana_ctx = browser.new_context(**PHONE)
    sign_in(app, ana_ctx, ana, live_server)
    page = ana_ctx.new_page()
    page.goto(f"{live_server}/e/{event.key}")
    panel = page.locator("#rsvp")
    # Going without ticking the box: told so next to it, on the same form.
    panel.get_by_label("Vegan").check()
    panel.get_by_role("button", name="Going").click()
    expect(page.get_by_text("Tick this box to RSVP.")).to_be_visible()
    expect(page.get_by_label("Vegan")).to_be_checked()  # what was chosen is kept
    page.screenshot(path=str(shots / "questions-2-answer-missing.png"), full_page=True)
    page.get_by_label("I accept the code of conduct").check()
    page.locator("#rsvp").get_by_role("button", name="Going").click()
    expect(page.get_by_text("You're going!", exact=True)).to_be_visible()
    page.locator(".rsvp-panel").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "questions-3-going.png"), full_page=True)
    db.session.rollback()  # see what the server committed
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.user_id == ana.id))
    assert rsvp.status == "going" and "Vegan" in rsvp.question_answers.values()

    org.goto(f"{live_server}/e/{event.key}/attendees")
    org.get_by_text("Ana", exact=True).click()  # her row opens with a tap
    answers = org.locator(".attendee-answers")
    expect(answers.get_by_text("Dietary needs")).to_be_visible()
    expect(answers.get_by_text("Vegan")).to_be_visible()
    expect(answers.get_by_text("I accept the code of conduct")).to_be_visible()
    org.screenshot(path=str(shots / "questions-4-attendee-list.png"), full_page=True)
