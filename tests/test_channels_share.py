"""Sharing an event: the share button (?via=share) for organizers and attendees, and the
1200x630 PNG link card behind og:image, cached until the event changes."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from meetup.extensions import db
from meetup.models import utcnow
from meetup.services.channels import card_image
from tests.factories import add_member, make_event, make_group, make_rsvp, make_user


@pytest.fixture
def org(app):
    return make_user(name="Olga")


@pytest.fixture
def event(org):
    return make_event(make_group(org, name="Rust Paris"), title="Rust & Coffee")


def _png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_the_card_is_a_1200x630_png_cached_until_the_event_changes(client, event):
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    url = f"/e/{event.key}/card.png?v={card_image.version(event)}"
    assert f'<meta property="og:image" content="http://localhost{url}">' in page
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert "public" in resp.headers["Cache-Control"]
    image = _png(resp.data)
    assert image.format == "PNG" and image.size == (1200, 630)
    etag = resp.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    event.venue_name = "Another place"
    event.updated_at = utcnow() + timedelta(seconds=1)
    db.session.commit()
    changed = client.get(f"/e/{event.key}/card.png", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.data != resp.data


def test_long_titles_wrap_and_end_with_an_ellipsis(app):
    from PIL import ImageDraw

    draw = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    font = card_image._font(True, 60)
    lines, fits = card_image.wrap(draw, "word " * 80, font, 1000, 3)
    assert len(lines) == 3 and not fits and lines[-1].endswith("…")
    assert all(draw.textlength(line, font=font) <= 1000 for line in lines)
    lines, fits = card_image.wrap(draw, "Monthly meetup", font, 1000, 3)
    assert lines == ["Monthly meetup"] and fits
    png = card_image.draw_card("x" * 200, "Thu 17 Dec 2026, 19:00 CET", "y" * 500, "z" * 120)
    assert _png(png).size == (1200, 630)


def test_members_only_events_have_no_public_card(client, login, org):
    group = make_group(org)
    secret = make_event(group, visibility="members", title="Secret plans")
    member = make_user()
    add_member(group, member)
    login(client, member)
    page = client.get(f"/e/{secret.key}").get_data(as_text=True)
    assert "og:image" not in page and "card.png" not in page
    assert client.get(f"/e/{secret.key}/card.png").status_code == 404
    assert client.get("/e/nosuchkey/card.png").status_code == 404


def test_the_share_button_for_organizers_and_attendees(client, login, org, event):
    link = f'href="http://localhost/e/{event.key}?via=share"'
    assert link not in client.get(f"/e/{event.key}").get_data(as_text=True)  # a passer-by
    login(client, org)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert link in page and "js/share.js" in page and 'class="share-button' in page
    ana = make_user()
    make_rsvp(event, ana)
    login(client, ana)
    assert link in client.get(f"/e/{event.key}").get_data(as_text=True)
    # Without JavaScript it is a plain link, and the visit it brings is tracked.
    visitor = client.application.test_client()
    assert visitor.get(f"/e/{event.key}?via=share").status_code == 200
