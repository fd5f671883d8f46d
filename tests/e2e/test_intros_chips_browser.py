"""The intent chips in Chromium at phone size: a person writes what they look for, says
Going, and finds it read back as chips ("We read: … Right?"), one tap away from confirmed;
tapping a chip toggles it without any script. Screenshots go to $SCREENSHOT_DIR."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Rsvp
from tests.e2e.browser_support import sign_in, wait_js
from tests.factories import make_event, make_group, make_user

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}  # fmt: skip


@pytest.fixture
def event_page(app, live_server, browser):
    """A signed-in person's phone on an event's page, the answers unfolded."""
    event = make_event(make_group(make_user(name="Olga")), capacity=10, title="Data drinks")
    context = browser.new_context(**PHONE)
    sign_in(app, context, make_user(name="Ana"), live_server)
    page = context.new_page()
    page.goto(f"{live_server}/e/{event.key}")
    page.locator(".rsvp-details summary").click()
    yield event, page
    context.close()


def test_chips_read_back_and_confirmed_at_phone_size(live_server, event_page, tmp_path):
    shots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    event, page = event_page
    page.fill("textarea[name=looking_for]", "Je cherche un mentor en big data")
    page.fill("textarea[name=can_offer]", "Je relis des maquettes Figma")
    page.get_by_role("button", name="Going", exact=True).click()
    page.wait_for_url(f"{live_server}/e/{event.key}*")

    line = page.locator("[data-we-read]")
    assert line.is_visible()  # the answers open by themselves to ask "Right?"
    assert line.inner_text() == (
        "We read: looking for a mentor in data; can offer advice on UX design. Right?"
    )
    mentor = page.locator("input[name=looking_intents][value=looking_for_mentor]")
    design = page.locator("input[name=offer_intents][value=advice_on_design]")
    assert mentor.is_checked() and design.is_checked()
    page.locator(".rsvp-details").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "intro-chips-read.png"), full_page=True)

    # A chip is a label: tapping it toggles the checkbox, no script involved.
    page.locator("label[for=" + design.get_attribute("id") + "]").click()
    assert not design.is_checked()
    page.get_by_role("button", name="Save my answers").click()
    page.wait_for_url(f"{live_server}/e/{event.key}*")
    db.session.rollback()
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.event_id == event.id))
    assert rsvp.intents == {
        "looking": ["looking_for_mentor"], "offer": [], "declined": ["advice_on_design"],
        "read": ["looking_for_mentor", "advice_on_design"],
    }  # fmt: skip
    assert not page.locator("input[name=offer_intents][value=advice_on_design]").is_checked()
    page.screenshot(path=str(shots / "intro-chips-confirmed.png"), full_page=True)


def test_chips_follow_the_words_as_they_are_typed(live_server, event_page):
    """With the script, the chips are preselected while typing; a chip set by hand stays."""
    event, page = event_page
    page.locator(
        "label[for="
        + page.locator("input[name=offer_intents][value=mentoring]").get_attribute("id")
        + "]"
    ).click()
    page.locator("textarea[name=looking_for]").press_sequentially("On recrute un commercial")
    wait_js(page, "document.querySelector('input[name=offer_intents][value=hiring]').checked")
    assert page.locator("[data-we-read]").inner_text() == (
        "We read: can offer a job in sales. Right?"
    )
    assert page.locator("input[name=offer_intents][value=mentoring]").is_checked()
    page.get_by_role("button", name="Going", exact=True).click()
    page.wait_for_url(f"{live_server}/e/{event.key}*")
    db.session.rollback()
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.event_id == event.id))
    assert rsvp.intents["offer"] == ["hiring", "mentoring"] and rsvp.intents["declined"] == []
