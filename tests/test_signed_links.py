"""Signed links (unsubscribe, welcome, announcement answers, leaving the waitlist) act only
for the token exactly as it was sent. Base64 reads "<token>=" and a last character whose
unused low bits differ as the same bytes: those passed the signature check and acted.
"""

from __future__ import annotations

import pytest
from itsdangerous.encoding import base64_decode
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Membership, Rsvp
from meetup.services.errors import DomainError
from meetup.services.events import announcements, leave_links
from meetup.services.mail import consent
from tests.factories import add_member, make_event, make_group, make_rsvp, make_user

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _same_bytes_other_last_char(part: str) -> str | None:
    """`part` with another last character that base64 decodes to the same bytes."""
    for char in _ALPHABET:
        other = part[:-1] + char
        if other != part and base64_decode(other) == base64_decode(part):
            return other
    return None


def _variants(token: str) -> list[str]:
    payload, _, signature = token.rpartition(".")
    out = [token + "=", token + "==", f"{payload}=.{signature}"]
    for part, rebuild in (
        (signature, lambda p: f"{payload}.{p}"),
        (payload, lambda p: f"{p}.{signature}"),
    ):
        other = _same_bytes_other_last_char(part)
        if other:
            out.append(rebuild(other))
    return out


def _rows() -> list:
    """What the links change: memberships (email choices) and RSVPs."""
    db.session.rollback()
    return [
        db.session.execute(select(table)).all() for table in (Membership.__table__, Rsvp.__table__)
    ]


@pytest.fixture
def links(app):
    group = make_group(make_user())
    member = make_user(name="Ana")
    add_member(group, member)
    event = make_event(group, capacity=1)
    make_rsvp(event, make_user())
    waiting = make_rsvp(event, make_user(), status="waitlisted")
    db.session.commit()
    return {
        "unsubscribe": (
            consent.member_token("unsubscribe", group.id, member.id),
            lambda t: consent.membership_by_token("unsubscribe", t),
            "/m/unsubscribe/{}",
        ),
        "welcome": (
            consent.member_token("welcome", group.id, member.id),
            lambda t: consent.membership_by_token("welcome", t),
            "/m/welcome/{}",
        ),
        "answer": (
            announcements.answer_token(event.id, member.id),
            announcements.by_answer_token,
            "/m/answer/{}",
        ),
        "leave": (
            leave_links.leave_token(waiting),
            leave_links.waiting_by_leave_token,
            "/rsvp/leave/{}",
        ),
    }


@pytest.mark.parametrize("kind", ["unsubscribe", "welcome", "answer", "leave"])
def test_a_signed_link_reads_only_as_it_was_written(links, kind):
    token, read, _path = links[kind]
    assert read(token) is not None
    variants = _variants(token)
    assert len(variants) >= 4  # the low-bits variant exists for the signature at least
    for variant in variants:
        with pytest.raises(DomainError):
            read(variant)


@pytest.mark.parametrize("kind", ["unsubscribe", "welcome", "answer", "leave"])
def test_a_mangled_signed_link_is_a_404_and_does_nothing(client, links, kind):
    token, read, path = links[kind]
    before = _rows()
    for variant in _variants(token):
        for method in (client.get, client.post):
            resp = method(path.format(variant), data={"answer": "going"})
            assert resp.status_code == 404, (variant, method)
    assert _rows() == before
    assert read(token) is not None
