"""The organizer's mail page on a phone (390x844): the list of all email fits the screen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import update

from meetup.extensions import db
from meetup.models import OutboxMessage, utcnow
from tests.conftest import serve
from tests.e2e.browser_support import sign_in
from tests.factories import make_group, make_user, queue_messages


@pytest.mark.browser
def test_the_mail_page_on_a_phone(app, browser, tmp_path):
    organizer = make_user(name="Olga Organizer")
    group = make_group(organizer, slug="phone-mail", name="Data & Analytics Lyon")
    queue_messages(3, group_id=group.id, to_name="Hannah Lévy", to_addr="hannah.levy@example.org")
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.subject == "Message 1")
        .values(status="sent", sent_at=utcnow(), subject="You're going: dbt & analytics night")
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.subject == "Message 0")
        .values(status="failed", last_error="SMTP 550 5.1.1 No such user", attempts=5)
    )
    db.session.commit()
    with serve(app) as base:
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
        )
        sign_in(app, context, organizer, base)
        page = context.new_page()
        page.goto(f"{base}/g/phone-mail/mail")
        page.get_by_text("You're going: dbt & analytics night").wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing runs off the side of a phone
        shots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "mail-page.png"), full_page=True)
        context.close()
