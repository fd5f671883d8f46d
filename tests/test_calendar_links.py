"""'Add to calendar' buttons and the feed settings on the profile."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from flask import render_template_string
from flask_login import login_user

from tests.factories import make_event, make_group, make_rsvp, make_user

# 19:00 in New York on the night clocks go forward (EDT, UTC-4): 23:00 UTC.
START = datetime(2031, 3, 9, 23, 0, tzinfo=UTC)
END = datetime(2031, 3, 10, 1, 30, tzinfo=UTC)


def _links(page: str) -> dict[str, str]:
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]
    out = {}
    for href in hrefs:
        host = urlsplit(href).netloc or "local"
        out[host] = href
    return out


def _render(event, rsvp=None) -> str:
    return render_template_string(
        '{% include "calendar/_buttons.html" %}', event=event, my_rsvp=rsvp
    )


def test_buttons_carry_the_right_utc_times(app):
    event = make_event(
        make_group(), starts_at=START, ends_at=END, timezone="America/New_York", title="Q&A night"
    )
    rsvp = make_rsvp(event, make_user())
    with app.test_request_context():
        links = _links(_render(event, rsvp))
    google = parse_qs(urlsplit(links["calendar.google.com"]).query)
    assert google["action"] == ["TEMPLATE"]
    assert google["text"] == ["Q&A night"]
    assert google["dates"] == ["20310309T230000Z/20310310T013000Z"]
    assert google["ctz"] == ["America/New_York"]
    assert google["location"] == ["The Loft, 1 Rue de Rivoli, Paris"]
    assert f"http://localhost/t/{rsvp.ticket_token}" in google["details"][0]
    for host in ("outlook.live.com", "outlook.office.com"):
        outlook = parse_qs(urlsplit(links[host]).query)
        assert outlook["startdt"] == ["2031-03-09T23:00:00Z"]
        assert outlook["enddt"] == ["2031-03-10T01:30:00Z"]
        assert outlook["subject"] == ["Q&A night"]
        assert outlook["rru"] == ["addevent"]
    # The .ics too carries the ticket: it is the attendee's own copy.
    assert links["local"] == f"/t/{rsvp.ticket_token}/event.ics"


def test_buttons_without_a_ticket_and_hidden_once_cancelled(app):
    event = make_event(make_group())
    with app.test_request_context():
        page = render_template_string('{% include "calendar/_buttons.html" %}', event=event)
        assert "/t/" not in page and "Add to calendar" in page
        event.cancelled_at = START
        assert "Add to calendar" not in _render(event)


def test_feed_settings_show_https_and_webcal_links(app):
    me = make_user()
    with app.test_request_context():
        login_user(me)
        page = render_template_string('{% include "calendar/_feed_settings.html" %}')
    assert f'value="http://localhost/cal/{me.feed_token}.ics"' in page
    assert f'href="webcal://localhost/cal/{me.feed_token}.ics"' in page
    assert 'action="/profile/calendar-link"' in page


def test_ticket_page_offers_the_buttons_with_the_ticket_link(app, client):
    event = make_event(make_group(), starts_at=START, ends_at=END)
    rsvp = make_rsvp(event, make_user())
    page = client.get(f"/t/{rsvp.ticket_token}").get_data(as_text=True)
    google = parse_qs(urlsplit(_links(page)["calendar.google.com"]).query)
    assert google["dates"] == ["20310309T230000Z/20310310T013000Z"]
    assert f"http://localhost/t/{rsvp.ticket_token}" in google["details"][0]
