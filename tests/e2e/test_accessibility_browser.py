"""Every page passes axe-core's WCAG 2.1 A and AA checks at phone size, and loads without a
failing request (a missing icon, script or style): as a visitor, a member and an organizer
see it, with the demo community's data (a full event, a past one with introductions, a
ticket)."""

from __future__ import annotations

from pprint import pformat

import pytest
from axe_playwright_python.sync_playwright import Axe

from meetup import demo
from meetup.extensions import db
from tests.e2e.browser_support import PHONE, sign_in

WCAG = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def _problems(axe: Axe, page, url: str) -> list[str]:
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    found = axe.run(page, options=WCAG).response["violations"]
    return failed + [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
    ]


def test_every_page_passes_axe_and_loads_whole_at_phone_size(app, live_server, browser, axe):
    seeded = demo.seed()
    db.session.commit()
    group, event = f"/g/{seeded.group.slug}", f"/e/{seeded.upcoming.key}"
    past = f"/e/{seeded.past.key}"
    dinner = f"/e/{seeded.approval_event.key}"  # the member's request waits for approval
    visits = (
        (
            None,
            [event, past, group, "/login", "/signup", f"/t/{seeded.ticket_rsvp.ticket_token}"],
        ),
        (seeded.member, ["/", event, f"{event}/rsvp", past, "/profile", group, dinner]),
        (
            seeded.organizer,
            [
                "/",
                event,
                f"{event}/attendees",
                f"{event}/questions",
                f"{event}/door",
                f"{event}/door/links",
                f"{event}/edit",
                f"{event}/message",
                f"{event}/cancel",
                f"{past}/intros",
                dinner,
                f"{dinner}/requests",
                f"{group}/events/new?like={seeded.upcoming.key}",
                f"{group}/invites",
                f"{group}/import",
                f"{group}/members",
                f"{group}/mail",
                f"{group}/edit",
                f"{group}/intros",
                f"{group}/insights",
                f"{group}/insights/members",
                "/groups/new",
            ],
        ),
    )
    failures: dict[str, list[str]] = {}
    for user, paths in visits:
        context = browser.new_context(**PHONE)
        if user is not None:
            sign_in(app, context, user, live_server)
        for path in paths:
            page = context.new_page()  # its own listeners: a request is told of once
            found = _problems(axe, page, live_server + path)
            page.close()
            if found:
                failures[f"{user.name if user else 'visitor'}: {path}"] = found
        context.close()
    assert not failures, pformat(failures, width=120)


def test_the_check_sees_what_it_is_meant_to_on_our_pages(app, live_server, browser, axe):
    """The control: on one of our pages, under its Content-Security-Policy, an input
    without a label and a low-contrast line are found."""
    seeded = demo.seed()
    db.session.commit()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/e/{seeded.upcoming.key}")
    # Styled from script: the page's policy refuses style attributes in markup.
    page.evaluate(
        """(() => {
          const main = document.querySelector("main");
          main.insertAdjacentHTML("beforeend", '<input type="text"><p id="faint">faint</p>');
          const faint = document.getElementById("faint").style;
          Object.assign(faint, {color: "#ddd", background: "#fff"});
        })()"""
    )
    found = {v["id"] for v in axe.run(page, options=WCAG).response["violations"]}
    context.close()
    assert {"label", "color-contrast"} <= found, found
