"""A real phone-sized Chromium imports a Slack export: preview, then the chunked import
driven by static/js/import.js with its progress bar."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from meetup.extensions import db
from meetup.models import Membership
from tests.e2e.browser_support import sign_in
from tests.factories import make_group, make_user

DATA = Path(__file__).parent.parent / "data"


@pytest.mark.browser
def test_chunked_import_with_progress(app, live_server, page, monkeypatch, tmp_path):
    from meetup.views.community import member_import as group_import

    monkeypatch.setattr(group_import, "CHUNK_ROWS", 2)  # several requests for 4 people
    app.config["IMPORT_DIR"] = str(tmp_path)
    org = make_user("org@example.org", name="Olga")
    group = make_group(org, name="Alumni")
    group_id, slug = group.id, group.slug
    sign_in(app, page.context, org, live_server)

    page.goto(f"{live_server}/g/{slug}/import")
    page.set_input_files("input[type=file]", str(DATA / "slack_members.csv"))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url(f"**/g/{slug}/import/*")
    assert page.locator(".import-counts .count.ok strong").inner_text() == "4"

    page.click("#import-button")
    page.wait_for_url(f"**/g/{slug}/members")
    assert "Import finished: 4 added" in page.locator(".flash").inner_text()
    imported = (
        select(func.count())
        .select_from(Membership)
        .where(Membership.group_id == group_id, Membership.source == "import")
    )
    db.session.rollback()  # leave the snapshot read before the server wrote
    assert db.session.scalar(imported) == 4
    assert not list(tmp_path.iterdir())
