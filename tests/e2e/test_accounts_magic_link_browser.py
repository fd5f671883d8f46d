"""A phone-sized Chromium signs in by emailed link, then finds its profile.

Set MEETUP_SCREENSHOTS=/some/dir to keep screenshots of the pages it passes through.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import OutboxMessage, User

pytestmark = pytest.mark.browser


def shoot(page: Page, name: str) -> None:
    """One screen-sized picture per screenful, as the phone shows them."""
    folder = os.environ.get("MEETUP_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    for i, top in enumerate(range(0, height, size["height"]), start=1):
        clip = {"x": 0, "y": top, "width": size["width"], "height": size["height"]}
        page.screenshot(path=str(Path(folder) / f"{name}-{i}.png"), full_page=True, clip=clip)


def emailed_link(to: str) -> str:
    db.session.rollback()  # a fresh snapshot: the server wrote in its own transactions
    body = db.session.scalar(select(OutboxMessage.body_text).where(OutboxMessage.to_addr == to))
    assert body, f"nothing queued for {to}"
    return re.search(r"https?://\S+/login/link/\S+", body).group(0)


def test_sign_in_by_emailed_link_on_a_phone(page: Page, live_server):
    page.goto(f"{live_server}/login?next=/profile")
    shoot(page, "login")
    page.get_by_label("Email").first.fill("ana@example.org")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    shoot(page, "link-sent")

    link = emailed_link("ana@example.org")
    assert link.startswith(live_server)
    page.goto(link)
    confirm = page.get_by_role("button", name="Sign in as ana@example.org")
    expect(confirm).to_be_visible()
    shoot(page, "link-confirm")
    confirm.click()

    expect(page).to_have_url(f"{live_server}/profile")
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    shoot(page, "profile")
    db.session.rollback()  # a fresh snapshot: the server wrote in its own transactions
    user = db.session.scalar(select(User).where(User.email == "ana@example.org"))
    assert user is not None and user.email_confirmed_at is not None

    # The same link, opened again, explains itself and offers a new one.
    page.goto(link)
    expect(page.get_by_text("already been used")).to_be_visible()
    expect(page.get_by_role("button", name="Email me a new link")).to_be_visible()
    shoot(page, "link-used")


def test_profile_edits_stick(page: Page, live_server):
    from tests.factories import make_user

    make_user("bo@example.org", password="correct horse battery", name="Bo")
    page.goto(f"{live_server}/profile")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fprofile|/login\?next=/profile"))
    page.get_by_text("Use a password instead").click()
    page.locator("#password-email").fill("bo@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in with password").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()

    page.get_by_label("Headline").fill("Product designer")
    page.get_by_label("Interests").fill("Design, research, design")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_label("Interests")).to_have_value("design, research")
    shoot(page, "profile-saved")

    page.get_by_role("link", name="Delete my account…").click()
    shoot(page, "delete")
    page.get_by_label("Type your email address to confirm").fill("bo@example.org")
    page.get_by_role("button", name="Delete my account and my data").click()
    expect(page.get_by_text("are deleted")).to_be_visible()
    db.session.rollback()  # a fresh snapshot: the server wrote in its own transactions
    assert db.session.scalar(select(User).where(User.email == "bo@example.org")) is None
