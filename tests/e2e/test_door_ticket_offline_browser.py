"""An attendee's ticket with no network, in a real Chromium at phone size.

The venue is a basement: the attendee opened their ticket from the email at home, and at the
door the phone has no signal. As in the door's offline tests, the server is stopped while the
phone is "offline", so whatever shows then comes from the phone alone.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from meetup.extensions import db
from meetup.services.events import answers
from meetup.urls import ticket_url
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.browser_support import PHONE, wait_image, wait_js
from tests.factories import make_event, make_group, make_rsvp, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def phone(playwright, profile: Path, *, offline: bool):
    """A phone that keeps its storage (the service worker and its cache) between launches."""
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, **PHONE
    )
    context.set_offline(offline)
    page = context.pages[0] if context.pages else context.new_page()
    return context, page


def first_visit(playwright, profile: Path, url: str) -> None:
    context, page = phone(playwright, profile, offline=False)
    try:
        page.goto(url)
        wait_js(page, "navigator.serviceWorker.controller !== null")
        wait_js(page, "caches.match(location.href).then(Boolean)")
        assert page.locator("#ticket-offline").is_hidden()
    finally:
        context.close()


@pytest.fixture
def opened(playwright, app, server, tmp_path):
    """Ana's ticket, opened once on her phone while online. Returns (rsvp, url, profile)."""
    event = make_event(make_group(make_user()), title="Rust night")
    rsvp = make_rsvp(event, make_user(name="Ana Attendee"))
    db.session.commit()
    url = ticket_url(rsvp.ticket_token)
    profile = tmp_path / "phone"
    first_visit(playwright, profile, url)
    return rsvp, url, profile


def decode(png: Path) -> str:
    return subprocess.run(
        ["zbarimg", "-q", "--raw", str(png)], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_a_ticket_opened_once_shows_its_qr_code_with_no_network(
    playwright, server, opened, tmp_path
):
    _rsvp, url, profile = opened

    server.stop()
    try:
        context, page = phone(playwright, profile, offline=True)
        try:
            page.goto(url)
            assert page.inner_text(".ticket-name") == "Ana Attendee"
            note = page.locator("#ticket-offline")
            assert note.is_visible()
            assert note.inner_text() == "No network: this is your ticket as saved on this phone."
            # Giving the seat up needs the server: the button waits for the network.
            page.click(".ticket-give-up summary")
            assert page.locator(".ticket-give-up button").is_disabled()
            qr = page.locator(".ticket-qr img")
            wait_image(qr)
            shot = tmp_path / "offline-ticket.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            context.close()
    finally:
        server.start()
    # What the door's camera would read off the screen: the ticket itself.
    assert decode(shot) == url


def test_a_ticket_given_up_does_not_come_back_offline(playwright, server, opened):
    rsvp, url, profile = opened
    answers.answer(rsvp.event, rsvp.user, False)  # "Can't go": the ticket stops working
    db.session.commit()
    context, page = phone(playwright, profile, offline=False)
    try:
        assert page.goto(url).status == 404  # the worker passes the answer on, and forgets
        wait_js(page, "caches.match(location.href).then(cached => !cached)")
    finally:
        context.close()

    server.stop()
    try:
        context, page = phone(playwright, profile, offline=True)
        try:
            with pytest.raises(PlaywrightError, match="ERR_FAILED|ERR_INTERNET_DISCONNECTED"):
                page.goto(url)
            page.wait_for_load_state()
            assert page.locator(".ticket-name").count() == 0
        finally:
            context.close()
    finally:
        server.start()
