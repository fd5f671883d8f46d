"""A named plus-one, end to end in a real Chromium at phone size: Ana names her guest on the
RSVP, finds his QR code on her ticket page, and the door's camera checks him in on his own."""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Rsvp, RsvpGuest, utcnow
from meetup.urls import ticket_url
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.door_support import door_link
from tests.e2e.browser_support import PHONE, sign_in, wait_image, wait_js
from tests.e2e.test_door_browser import camera_args, write_y4m
from tests.factories import make_event, make_group, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def decode(png: Path) -> str:
    return subprocess.run(
        ["zbarimg", "-q", "--raw", str(png)], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_a_host_names_a_guest_whose_own_ticket_the_door_checks_in(
    playwright, app, server, tmp_path
):
    event = make_event(
        make_group(make_user(name="Olga")),
        title="Rust night",
        starts_at=utcnow() + timedelta(hours=1),  # tonight: the door is open
        capacity=10,
        max_guests=2,
    )
    ana = make_user(name="Ana")
    link = f"{server.base}/door/{door_link(event, 'Sam')}"

    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(**PHONE)
        sign_in(app, context, ana, server.base)
        page = context.new_page()
        page.goto(f"{server.base}/e/{event.key}")
        page.click(".rsvp-guests summary")
        page.locator('input[name="guest_name"]').first.fill("Bo Li")
        page.screenshot(path=str(tmp_path / "rsvp-with-guest.png"), full_page=True)
        page.click('#rsvp-main button[value="going"]')
        page.wait_for_selector(".rsvp-status.ok")
        assert "Your guests (1)" in page.inner_text(".rsvp-guests-link")
        page.click("text=Show my ticket")
        guest_code = page.locator(".ticket-guest").first
        assert "Bo Li" in guest_code.inner_text()
        wait_image(guest_code.locator("img"))
        page.screenshot(path=str(tmp_path / "ticket-with-guest.png"), full_page=True)
        shot = tmp_path / "guest-code.png"
        guest_code.locator("img").screenshot(path=str(shot))
        page.goto(f"{server.base}/e/{event.key}/guests")
        page.screenshot(path=str(tmp_path / "guests-page.png"), full_page=True)
    finally:
        browser.close()

    db.session.rollback()
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.user_id == ana.id))
    [bo] = rsvp.guests
    scanned = decode(shot)  # what the door's camera reads off Ana's screen
    assert scanned == ticket_url(bo.ticket_token) != ticket_url(rsvp.ticket_token)

    video = write_y4m(tmp_path / "bo.y4m", scanned)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=camera_args(video))
    try:
        page = browser.new_context(**PHONE).new_page()
        page.goto(link)
        page.wait_for_selector("#result.ok", timeout=20_000)
        assert page.inner_text("#result-title") == "Welcome, Bo Li"
        assert "Guest of Ana" in page.inner_text("#result-detail")
        page.screenshot(path=str(tmp_path / "door-guest.png"), full_page=True)
        page.click("#show-search")
        wait_js(page, "document.querySelectorAll('#guest-list li').length >= 2")
        assert "Guest of Ana" in page.inner_text("#guest-list")
    finally:
        browser.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        db.session.rollback()
        if db.session.get(RsvpGuest, bo.id).checked_in_at is not None:
            break
        time.sleep(0.2)
    assert db.session.get(RsvpGuest, bo.id).checked_in_at is not None
    assert db.session.get(Rsvp, rsvp.id).checked_in_at is None  # Ana checks in on her own
