"""In a real Chromium at phone size: sign in by magic link, create an event, see its page."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Event
from meetup.services.accounts import magic_links
from tests.factories import make_event, make_group, make_user

pytestmark = pytest.mark.browser


def _shot(page, tmp_path, name: str) -> None:
    """Full-page screenshots to look at; kept out of the repository (MEETUP_SCREENSHOTS=dir)."""
    folder = os.environ.get("MEETUP_SCREENSHOTS") or tmp_path
    page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_organizer_signs_in_by_link_and_creates_an_event(page, live_server, tmp_path):
    organizer = make_user("olga@example.org", name="Olga")
    group = make_group(organizer, slug="acme-alumni", name="Acme Alumni")
    make_event(group, title="Last time", starts_at=datetime.now(UTC) - timedelta(days=30))
    token = magic_links.issue(organizer.email)
    db.session.commit()

    page.goto(f"{live_server}/login/link/{token}")
    page.get_by_role("button", name="Sign in as olga@example.org").click()
    page.wait_for_url(f"{live_server}/")
    _shot(page, tmp_path, "home")
    page.get_by_role("link", name="New event").click()
    page.wait_for_url(f"{live_server}/g/acme-alumni/events/new")

    day = (datetime.now(UTC) + timedelta(days=30)).date()
    page.fill("#title", "Chai & careers")
    page.fill("#description", "Bring a **friend**. Slides: https://example.org/slides")
    page.fill("#start_date", day.isoformat())
    page.fill("#start_time", "19:00")
    page.fill("#end_time", "21:30")
    page.select_option("#timezone", "Asia/Kolkata")
    page.fill("#venue_name", "Third Wave Coffee")
    page.fill("#venue_address", "80 Feet Rd, Koramangala, Bengaluru")
    page.fill("#capacity", "30")
    _shot(page, tmp_path, "create_form")
    page.get_by_role("button", name="Create event").click()

    event = db.session.scalar(select(Event).where(Event.title == "Chai & careers"))
    assert event is not None
    page.wait_for_url(f"{live_server}/e/{event.key}")
    assert event.starts_at == datetime.combine(day, datetime.min.time(), UTC) + timedelta(
        hours=13, minutes=30
    )  # 19:00 in India is 13:30 UTC
    assert (event.capacity, event.group_id, event.created_by_id) == (30, group.id, organizer.id)

    assert page.get_by_role("heading", name="Chai & careers").is_visible()
    assert page.get_by_text("19:00 – 21:30 IST").is_visible()
    assert page.get_by_role("link", name="Open in a map").is_visible()
    assert page.locator(".event-description strong").inner_text() == "friend"
    # Nothing sticks out sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, tmp_path, "event_page")
