"""In a real Chromium at phone size: the Share button copies the event's ?via=share link where
the browser has no share sheet, and the link card it unfurls to is the event's PNG."""

from __future__ import annotations

import pytest

from meetup.extensions import db
from tests.e2e.browser_support import sign_in, wait_js
from tests.factories import make_event, make_group, make_user

pytestmark = pytest.mark.browser


def test_share_copies_the_tracked_link(app, page, live_server):
    olga = make_user(name="Olga")
    event = make_event(make_group(olga, name="Rust Paris"), title="Rust & Coffee")
    db.session.commit()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    sign_in(app, page.context, olga, live_server)
    page.goto(f"{live_server}/e/{event.key}")
    has_sheet = page.evaluate("typeof navigator.share === 'function'")
    share = page.get_by_role("button", name="Share")
    assert share.get_attribute("href") == f"{live_server}/e/{event.key}?via=share"
    if has_sheet:  # a phone's share sheet can't be driven from a test: the link is enough
        pytest.skip("this Chromium has a share sheet")
    share.click()
    wait_js(page, "document.getElementById('share-status').textContent.length > 0")
    assert page.evaluate("navigator.clipboard.readText()") == (
        f"{live_server}/e/{event.key}?via=share"
    )
    image = page.locator('meta[property="og:image"]').get_attribute("content")
    resp = page.request.get(image)
    assert resp.status == 200 and resp.headers["content-type"] == "image/png"
