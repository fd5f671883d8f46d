"""Magic links: single use, expiry, purpose-bound, stored hashed."""

from datetime import timedelta

import pytest

from meetup.extensions import db
from meetup.models import LoginToken, utcnow
from meetup.services.accounts import magic_links
from meetup.services.errors import DomainError


def test_link_is_single_use_and_stored_hashed(app):
    token = magic_links.issue("Ana@Example.org", payload={"next": "/"})
    db.session.commit()
    row = db.session.query(LoginToken).one()
    assert token not in row.token_hash and row.email == "ana@example.org"
    assert len(token) >= 22  # >= 128 bits in base64
    assert magic_links.redeem(token).payload == {"next": "/"}
    db.session.commit()
    with pytest.raises(DomainError) as err:
        magic_links.redeem(token)
    assert err.value.code == "link_used"


def test_link_expires_after_15_minutes(app):
    now = utcnow()
    token = magic_links.issue("ana@example.org", now=now)
    magic_links.peek(token, now=now + timedelta(minutes=14))
    with pytest.raises(DomainError) as err:
        magic_links.redeem(token, now=now + timedelta(minutes=15, seconds=1))
    assert err.value.code == "link_expired"


def test_link_is_bound_to_its_purpose(app):
    token = magic_links.issue("ana@example.org", purpose="rsvp")
    with pytest.raises(DomainError) as err:
        magic_links.redeem(token, purpose="login")
    assert err.value.code == "link_invalid"
    with pytest.raises(DomainError):
        magic_links.redeem("not-a-token")
