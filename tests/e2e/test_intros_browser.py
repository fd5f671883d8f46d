"""In a real Chromium at phone size: the suggestion and introduction emails, and saying yes
from the email's link without signing in."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from meetup import worker
from meetup.extensions import db
from meetup.models import IntroPair, OutboxMessage
from meetup.services.accounts import magic_links
from meetup.services.intros import proposals as intros
from tests.test_intros import setup_event

pytestmark = pytest.mark.browser


def _shot(page, tmp_path, name: str) -> None:
    """Full-page screenshots to look at; kept out of the repository (MEETUP_SCREENSHOTS=dir)."""
    folder = os.environ.get("MEETUP_SCREENSHOTS") or tmp_path
    page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def _html_to(address: str, template_subject: str) -> str:
    db.session.rollback()
    return db.session.scalar(
        select(OutboxMessage.body_html).where(
            OutboxMessage.to_addr == address, OutboxMessage.subject.startswith(template_subject)
        )
    )


def test_suggestion_answer_and_introduction_on_a_phone(page, live_server, tmp_path):
    org, _group, event, _p = setup_event()
    worker.run_pass(now=intros.send_time(event) + timedelta(minutes=1))
    db.session.rollback()

    page.set_content(_html_to("ana@example.org", "People to meet again"))
    _fits_the_phone(page)
    _shot(page, tmp_path, "intro_suggestions_email")

    for pair in db.session.scalars(select(IntroPair).where(IntroPair.status == "sent")):
        if pair.user_a.email == "ana@example.org" or pair.user_b.email == "ana@example.org":
            ana_token = pair.token_a if pair.user_a.email == "ana@example.org" else pair.token_b
            ben_token = pair.token_b if pair.user_a.email == "ana@example.org" else pair.token_a
    page.goto(f"{live_server}/i/{ana_token}/yes")
    _fits_the_phone(page)
    _shot(page, tmp_path, "intro_answer_page")
    page.get_by_role("button", name="Yes, introduce us").click()
    page.get_by_role("heading", name="Thanks, noted").wait_for()

    page.goto(f"{live_server}/i/{ben_token}/yes")
    page.get_by_role("button", name="Yes, introduce us").click()
    page.get_by_role("heading", name="You are introduced!").wait_for()

    page.goto("about:blank")  # an email client's context, not our pages' CSP
    page.set_content(_html_to("ana@example.org", "Introduction: Ben"))
    _fits_the_phone(page)
    assert page.get_by_text("+33 6 12 34 56 78").is_visible()
    _shot(page, tmp_path, "intro_made_email")

    # The organizer's review, after sending: the pairs, their reasons, the figures.
    token = magic_links.issue(org.email)
    db.session.commit()
    page.goto(f"{live_server}/login/link/{token}")
    page.get_by_role("button", name=f"Sign in as {org.email}").click()
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/e/{event.key}/intros")
    assert page.get_by_text("accepted by both").first.is_visible()
    _fits_the_phone(page)
    _shot(page, tmp_path, "intro_review_page")
