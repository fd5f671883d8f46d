"""In a real Chromium at phone size: an organizer makes a monthly series from the event form,
and a member follows it from the series page."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Series
from meetup.services.events import series as series_svc
from tests.e2e.browser_support import sign_in
from tests.factories import add_member, make_group, make_user

pytestmark = pytest.mark.browser


def _shot(page, tmp_path, name: str) -> None:
    folder = os.environ.get("MEETUP_SCREENSHOTS") or tmp_path
    page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_a_monthly_series_from_the_event_form_and_a_member_follows_it(
    app, browser, live_server, tmp_path
):
    from tests.e2e.browser_support import PHONE

    organizer = make_user("olga@example.org", name="Olga")
    group = make_group(organizer, slug="rust-paris", name="Rust Paris")
    member = make_user("sam@example.org", name="Sam")
    add_member(group, member)
    db.session.commit()

    context = browser.new_context(**PHONE)
    sign_in(app, context, organizer, live_server)
    page = context.new_page()
    page.goto(f"{live_server}/g/rust-paris/events/new")
    day = (datetime.now(UTC) + timedelta(days=12)).date()
    page.fill("#title", "Rust Paris monthly")
    page.fill("#start_date", day.isoformat())
    page.fill("#start_time", "19:00")
    page.fill("#end_time", "21:00")
    page.select_option("#timezone", "Europe/Paris")
    page.select_option("#repeat", "monthly")
    page.fill("#repeat_count", "6")
    _shot(page, tmp_path, "series_form")
    page.get_by_role("button", name="Create event").click()
    page.get_by_role("link", name="One date of a series: see every date").click()
    db.session.rollback()  # a fresh read: the server wrote it
    series = db.session.scalar(select(Series))
    page.wait_for_url(f"{live_server}/s/{series.key}")
    assert page.locator(".series-dates li").count() == len(series_svc.upcoming(series)) >= 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, tmp_path, "series_page_organizer")
    context.close()

    context = browser.new_context(**PHONE)
    sign_in(app, context, member, live_server)
    page = context.new_page()
    page.goto(f"{live_server}/s/{series.key}")
    page.get_by_role("button", name="Follow: email me each new date").click()
    assert page.get_by_role("button", name="Stop following").is_visible()
    db.session.rollback()
    assert series_svc.is_following(series, member)
    _shot(page, tmp_path, "series_page_member")
    context.close()
