"""In Chromium at phone size: the profile is one form (a tick in the introduction settings
survives "Save profile"), and a form sent with a mistake lands on the first bad field."""

from __future__ import annotations

import pytest

from meetup.extensions import db
from meetup.models import User
from tests.e2e.browser_support import shot, sign_in
from tests.factories import make_group, make_user

pytestmark = pytest.mark.browser


def test_profile_keeps_what_it_shows_and_errors_take_the_focus(page, live_server, app, tmp_path):
    olga = make_user("olga@example.org", name="Olga", intro_colleagues=False)
    make_group(olga, slug="acme", name="Acme Alumni")
    sign_in(app, page.context, olga, live_server)

    page.goto(f"{live_server}/profile")
    page.get_by_label("Colleagues from my company may be suggested too").check()
    page.fill("#headline", "Data engineer")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_url(f"{live_server}/profile")
    assert page.get_by_text("Your profile is saved.").is_visible()
    db.session.rollback()  # a fresh read, after the server's commit
    saved = db.session.get(User, olga.id)
    assert saved.intro_colleagues is True and saved.headline == "Data engineer"
    assert page.get_by_label("Colleagues from my company may be suggested too").is_checked()

    # A mistake low on a long form: the page comes back on that field, cursor in it.
    page.fill("#name", "Olga")
    page.fill("#block_name", "Nobody by that name")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "block_name"
    box = page.locator("#block_name").bounding_box()
    assert 0 <= box["y"] < 844  # scrolled into view
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, tmp_path, "profile-error-focus", full_page=False)

    # The event form: an end before the start; the link in the banner points at the field.
    page.goto(f"{live_server}/g/acme/events/new")
    page.fill("#title", "")
    page.get_by_role("button", name="Create event").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "title"
    assert page.locator(".flash-error a").get_attribute("href") == "#title"
    shot(page, tmp_path, "event-form-error-focus", full_page=False)
