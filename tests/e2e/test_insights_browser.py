"""The insights page in a real Chromium at phone size: its charts drawn, the page no wider
than the phone, and axe-core's WCAG 2.1 A/AA check passed."""

from __future__ import annotations

import os

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import EventFeedback, Rsvp
from meetup.services.insights import followups
from tests import insights_fixture
from tests.e2e.browser_support import PHONE, sign_in
from tests.e2e.test_accessibility_browser import WCAG

pytestmark = pytest.mark.browser


def test_the_charts_render_on_a_phone_and_pass_the_accessibility_check(
    app, live_server, browser, tmp_path
):
    known = insights_fixture.build()
    context = browser.new_context(**PHONE)
    sign_in(app, context, known.organizer, live_server)
    page = context.new_page()
    page.goto(f"{live_server}/g/{known.group.slug}/insights?period=all")
    charts = page.locator("figure.chart svg")
    assert charts.count() == 2
    for i in range(2):
        box = charts.nth(i).bounding_box()
        assert box["width"] > 300 and box["height"] > 100 and box["x"] + box["width"] <= 390
    assert page.locator(".trend-chart rect.chart-came").count() == 2  # two events have ended
    assert page.locator(".trend-chart polyline").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    folder = os.environ.get("MEETUP_SCREENSHOTS") or tmp_path
    page.screenshot(path=f"{folder}/insights.png", full_page=True)
    axe = Axe()
    _passes(axe, page)
    # The members as the organizer sees them, and the page of an event that has ended.
    page.goto(f"{live_server}/g/{known.group.slug}/insights/members?sort=came&dir=desc")
    assert page.locator("table.member-figures tbody tr").count() == 7
    page.screenshot(path=f"{folder}/insights-members.png", full_page=True)
    _passes(axe, page)
    page.goto(f"{live_server}/e/{known.events['e1'].key}")
    assert page.locator(".event-figures dl").count() == 2
    page.screenshot(path=f"{folder}/insights-event.png", full_page=True)
    _passes(axe, page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_feedback_from_the_thanks_email_on_a_phone(app, live_server, browser, tmp_path):
    known = insights_fixture.build()
    came = db.session.scalar(
        select(Rsvp).where(Rsvp.event_id == known.events["e1"].id, Rsvp.checked_in_at.is_not(None))
    )
    context = browser.new_context(**PHONE)  # no sign-in: the link is enough
    page = context.new_page()
    page.goto(f"{live_server}/feedback/{followups.feedback_token(came)}")
    _passes(Axe(), page)
    page.get_by_label("4: good").check()
    page.get_by_label("Anything to keep or change? (optional)").fill("More time to talk")
    folder = os.environ.get("MEETUP_SCREENSHOTS") or tmp_path
    page.screenshot(path=f"{folder}/insights-feedback.png", full_page=True)
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Thank you!").wait_for()
    db.session.rollback()
    assert db.session.scalar(select(EventFeedback.rating)) == 4
    context.close()


def _passes(axe: Axe, page) -> None:
    found = axe.run(page, options=WCAG).response["violations"]
    assert not found, [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found]
