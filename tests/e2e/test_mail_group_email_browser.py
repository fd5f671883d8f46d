"""Group email links on a phone, signed out: the welcome's "Yes, keep me posted" and the
visible unsubscribe link each open a page with one button, and only its tap acts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Membership
from meetup.services.community import member_import as mi
from meetup.services.community import welcome
from meetup.services.mail import consent
from tests.factories import make_group

pytestmark = pytest.mark.browser


def _ana(group) -> Membership:
    db.session.rollback()  # what the server committed
    return db.session.scalar(select(Membership).where(Membership.group_id == group.id).limit(1))


def test_welcome_yes_then_unsubscribe_on_a_phone(live_server, page, tmp_path):
    group = make_group(name="Rust Paris", platform="slack")
    mi.import_csv(group, b"fullname,email\nAna Lima,ana@example.org\n")
    db.session.commit()
    ana = _ana(group)
    written = welcome.write_notice(
        {"group_id": group.id, "user_id": ana.user_id}, to_name="Ana", subject="Welcome"
    )
    yes = next(w for w in written.body_text.split() if w.endswith("answer=yes"))
    assert yes.startswith(live_server)

    page.goto(yes)
    assert _ana(group).welcome_answer is None  # opening the link changed nothing
    page.screenshot(path=str(tmp_path / "welcome.png"))
    page.get_by_role("button", name="Yes, keep me posted").tap()
    page.wait_for_selector("text=You’re in")
    assert _ana(group).welcome_answer == "yes"

    page.goto(consent.unsubscribe_url(group.id, ana.user_id))
    assert _ana(group).mail_announcements
    button = page.get_by_role("button", name="Unsubscribe")
    box = button.bounding_box()
    assert box["width"] > 200 and box["height"] >= 44  # a thumb-sized button on a phone
    button.tap()
    page.wait_for_selector("text=You’re unsubscribed")
    page.screenshot(path=str(tmp_path / "unsubscribed.png"))
    assert _ana(group).unsubscribed_at is not None and not _ana(group).mail_announcements
