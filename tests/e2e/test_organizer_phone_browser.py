"""An organizer on a phone (Chromium, 390x844): the door before it opens, the door links,
and a new event's link to copy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Rsvp, utcnow
from meetup.urls import ticket_url
from tests.e2e.browser_support import shot, sign_in, tap_target_sizes, wait_js
from tests.factories import make_event, make_group, make_rsvp, make_user

pytestmark = pytest.mark.browser


def _fresh(rsvp_id: int) -> Rsvp:
    db.session.rollback()  # a fresh read, after the server's commit
    return db.session.get(Rsvp, rsvp_id)


def test_the_door_before_it_opens_and_its_volunteer_links(page, live_server, app, tmp_path):
    olga = make_user("olga@example.org", name="Olga")
    group = make_group(olga, slug="acme")
    event = make_event(group, title="Rust night", starts_at=utcnow() + timedelta(days=11))
    ana = make_rsvp(event, make_user(name="Ana Lima"))
    bea = make_rsvp(event, make_user(name="Bea Costa"))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(app, page.context, olga, live_server)

    page.goto(f"{live_server}/e/{event.key}/door")
    assert page.get_by_text("The door opens").is_visible()
    wait_js(page, "window.door && window.door.listSaved()")
    # This browser has no camera: the page says so in the camera box, and a scan's answer
    # (by name, or fed here) is never overwritten by that late failure.
    page.wait_for_selector("#camera-note:visible", timeout=10_000)
    assert page.inner_text("#camera-note") == "No camera: use “Search names”."
    assert page.locator("#camera-start").is_visible()
    page.evaluate(f"window.door.scan({ticket_url(ana.ticket_token)!r})")
    page.wait_for_selector("#result.bad", timeout=10_000)
    assert page.inner_text("#result-title") == "Too early"
    assert page.locator("#camera-note").is_visible()
    assert "Ana Lima: the door opens" in page.inner_text("#result-detail")
    assert _fresh(ana.id).checked_in_at is None  # refused: it counts nowhere
    assert page.locator("#let-in-anyway").is_visible()
    shot(page, tmp_path, "door-too-early", full_page=False)
    page.click("#let-in-anyway")  # the organizer lets her in anyway
    page.wait_for_selector("#result.ok", timeout=10_000)
    assert _fresh(ana.id).checked_in_at is not None

    # The name list: once tapped, the box is empty for the next person.
    page.click("#show-search")
    page.fill("#search", "bea")
    page.locator("#guest-list button").click()
    page.wait_for_selector("#result:not(.ok) >> text=Too early", timeout=10_000)
    assert page.input_value("#search") == ""
    # And a way back to the event.
    back = page.locator("a.door-back")
    assert back.get_attribute("href") == f"/e/{event.key}"
    assert bea  # (refused too early: the organizer could let her in the same way)

    # Volunteer links: the new one with Copy; the list a row per link, Revoke in view.
    page.goto(f"{live_server}/e/{event.key}/door/links")
    for label in ("Sam at the door", "Maria-Fernanda Oliveira dos Santos, front desk"):
        page.fill("#label", label)
        page.get_by_role("button", name="Create a door link").click()
        page.wait_for_load_state()
    copy = page.locator('[data-copy-from="new-door-link"]')
    assert copy.is_visible()
    copy.click()
    assert page.evaluate("navigator.clipboard.readText()").startswith(f"{live_server}/door/")
    revoke = page.get_by_role("button", name="Revoke")
    assert revoke.count() == 2
    for i in range(2):
        box = revoke.nth(i).bounding_box()
        assert box["x"] + box["width"] <= 390 and box["height"] >= 44
    name = page.locator(".door-link-who strong", has_text="Maria-Fernanda").bounding_box()
    assert name["width"] > 150  # not a word per line
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, tmp_path, "door-links")
    assert all(h >= 44 for _t, _w, h in tap_target_sizes(page, ".door-link-list button"))


def test_a_new_event_opens_with_a_copy_button_and_counts_its_organizer(
    page, live_server, app, tmp_path
):
    olga = make_user("olga@example.org", name="Olga")
    make_group(olga, slug="acme", name="Acme Alumni")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(app, page.context, olga, live_server)
    page.goto(f"{live_server}/g/acme/events/new")
    day = (utcnow() + timedelta(days=20)).date()
    page.fill("#title", "Chai & careers")
    page.fill("#start_date", day.isoformat())
    page.fill("#start_time", "19:00")
    page.fill("#end_time", "21:00")
    page.fill("#capacity", "1")
    page.get_by_role("button", name="Create event").click()
    page.wait_for_selector("#event-link-new")
    page.get_by_role("button", name="Copy").first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    # The link to share carries its channel: the group's platform, else "share".
    assert copied.startswith(f"{live_server}/e/") and copied == f"{page.url}?via=share"
    assert page.get_by_text("Copied").is_visible()
    shot(page, tmp_path, "event-created", full_page=False)
    # She counts as going, and her full event never offers her its waitlist.
    assert page.get_by_text("1 person going · 1 seat").is_visible()  # the facts, not who's going
    assert page.get_by_text("Join the waitlist").count() == 0
    db.session.rollback()  # a fresh read, after the server's commit
    rsvp = db.session.scalar(select(Rsvp))
    assert (rsvp.user_id, rsvp.status) == (olga.id, "going")


def test_the_attendee_list_and_the_intro_review_are_compact_on_a_phone(
    page, live_server, app, tmp_path
):
    from tests.test_intros import setup_event

    org, group, event, _people = setup_event()
    upcoming = make_event(group, title="Rust night", capacity=20)
    for i in range(23):
        status = "going" if i < 20 else "waitlisted"
        make_rsvp(upcoming, make_user(name=f"Person {i:02d} Lastname"), status=status)
    sign_in(app, page.context, org, live_server)

    page.goto(f"{live_server}/e/{upcoming.key}/attendees")
    # A row per person: 23 people fit in a few screens, not 6,300 pixels.
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3200, height
    rows = tap_target_sizes(page, ".attendee summary")
    assert len(rows) == 23 and all(h >= 44 for _t, _w, h in rows)
    assert page.get_by_role("button", name="Remove").first.is_visible() is False
    page.locator(".attendee summary").first.click()  # the actions, one tap away
    first = page.locator(".attendee").first
    assert first.get_by_role("button", name="Remove").is_visible()
    sizes = tap_target_sizes(page, ".attendee details[open] a, .attendee details[open] button")
    assert sizes and all(h >= 44 for _t, _w, h in sizes), sizes
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, tmp_path, "attendees-compact")

    # The members list: email and role links a thumb can hit.
    page.goto(f"{live_server}/g/{group.slug}/members")
    links = tap_target_sizes(page, ".member-admin a, .member-admin button")
    assert links and all(h >= 44 for _t, _w, h in links), links

    page.goto(f"{live_server}/e/{event.key}/intros")
    assert "score" not in page.content().lower()
    rows = tap_target_sizes(page, ".intro-pair summary")
    assert rows and all(h >= 44 for _t, _w, h in rows)
    # "Approve all and send now" asks first, saying how many emails go out.
    page.get_by_text("Approve all and send now").click()
    confirm = page.get_by_role("button", name="Yes, send")
    assert confirm.is_visible() and "emails now" in confirm.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, tmp_path, "intro-review-compact")


def test_the_group_calendar_and_an_import_with_bots_and_guests(page, live_server, app, tmp_path):
    from tests.test_community_member_import import MIXED

    app.config["IMPORT_DIR"] = str(tmp_path)
    olga = make_user("olga@example.org", name="Olga")
    group = make_group(olga, slug="acme", name="Acme Alumni")
    make_event(group, title="Rust night")
    sign_in(app, page.context, olga, live_server)

    page.goto(f"{live_server}/g/acme")
    subscribe = page.get_by_role("button", name="Subscribe in my calendar app")
    assert (
        subscribe.get_attribute("href")
        == f"webcal://{live_server.split('://')[1]}/g/acme/calendar.ics"
    )
    google = page.get_by_role("button", name="Add to Google Calendar").get_attribute("href")
    assert google.startswith("https://calendar.google.com/calendar/render?cid=webcal%3A%2F%2F")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator(".group-calendar").scroll_into_view_if_needed()
    shot(page, tmp_path, "group-calendar", full_page=False)

    csv_file = tmp_path / "slack.csv"
    csv_file.write_bytes(MIXED)
    page.goto(f"{live_server}/g/acme/import")
    page.set_input_files("input[type=file]", str(csv_file))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url("**/g/acme/import/*")
    assert page.locator(".import-counts .count.ok strong").inner_text() == "1"
    summary = page.get_by_text("Skipped: 2 deactivated accounts, 2 bots")
    assert summary.is_visible()
    page.get_by_text("Rows skipped and why").click()
    assert page.get_by_text("Row 3 (Slackbot): bot").is_visible()
    page.get_by_label("Also import the 2 guests").check()
    page.locator(".guests-choice button").click()
    page.wait_for_load_state()
    assert page.locator(".import-counts .count.ok strong").inner_text() == "3"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, tmp_path, "import-guests")
    page.click("#import-button")
    page.wait_for_url("**/g/acme/members")
    assert "Import finished: 3 added" in page.locator(".flash").inner_text()


# Every control a thumb taps on an organizer's page: buttons, summaries, and links that stand
# on their own (a link inside a sentence is read, not aimed at, and is left out).
_TARGETS = """() => [...document.querySelectorAll(
    'header a, header button, main a, main button, main summary, main [type=submit]')]
  .filter((el) => el.offsetParent !== null && !el.closest('.table-scroll'))
  .filter((el) => el.tagName !== 'A'
    || el.parentElement.textContent.trim() === el.textContent.trim()
    || el.parentElement.matches('.actions, nav li, th'))
  .map((el) => { const r = el.getBoundingClientRect();
                 return [el.textContent.trim().slice(0, 40), Math.round(r.height * 10) / 10]; })
  .filter(([_text, height]) => height < 44)"""


def test_every_organizer_page_has_thumb_sized_targets_and_fits(page, live_server, app, tmp_path):
    from meetup import demo
    from meetup.services.door import links as door_links

    world = demo.seed()
    door_links.create(world.upcoming, "Maria-Fernanda Oliveira dos Santos, front desk")
    db.session.commit()
    slug, up, past = world.group.slug, world.upcoming.key, world.past.key
    sign_in(app, page.context, world.organizer, live_server)

    pages = [f"/g/{slug}/{p}" for p in ("", "members", "invites", "mail", "edit", "insights")]
    pages += [f"/g/{slug}/{p}" for p in ("webhooks", "import", "events/new", "intros")]
    pages += [f"/e/{up}/{p}" for p in ("", "edit", "attendees", "door/links", "announce")]
    pages += [f"/e/{up}/{p}" for p in ("questions", "message")]
    pages += [f"/e/{past}/{p}" for p in ("", "intros", "attendees")]
    small = {}
    for path in pages:
        page.goto(f"{live_server}{path.rstrip('/')}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        if found := page.evaluate(_TARGETS):
            small[path] = found
    assert not small, small

    # The members list reads as a list: a row per person, the rest one tap away.
    page.goto(f"{live_server}/g/{slug}/members")
    rows = tap_target_sizes(page, ".member summary")
    assert len(rows) >= 30 and all(h >= 44 for _t, _w, h in rows)
    assert page.evaluate("document.documentElement.scrollHeight") < 2600  # was 6,100
    assert page.get_by_role("button", name="Make co-organizer").first.is_visible() is False
    page.locator(".member summary").nth(1).click()
    opened = page.locator(".member details[open]")
    assert opened.get_by_role("button", name="Make co-organizer").is_visible()
    assert opened.locator("a[href^='mailto:']").is_visible()
    shot(page, tmp_path, "members-compact")
