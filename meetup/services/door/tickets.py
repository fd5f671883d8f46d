"""Tickets: finding an RSVP by its ticket token and reading a scanned code.

A ticket's QR encodes the ticket URL itself (urls.ticket_url), so any phone camera opens the
ticket page and the door scanner reads the token out of the same URL (meetup/qr_codes.py draws it).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Rsvp
from ..tokens import same

# What new_token() makes (urlsafe base64), with room for longer tokens; anything else is
# refused before it reaches the database.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_TICKET_PATH = re.compile(r"/t/([A-Za-z0-9_-]{16,64})/?")

VALID = "going"  # the only RSVP status whose ticket gets someone in


def is_token_shaped(token: str | None) -> bool:
    return bool(token) and _TOKEN.fullmatch(token) is not None


def select_by_token(token: str) -> Select:
    """The query for the RSVP holding `token`, with its attendee (callers may lock it)."""
    return select(Rsvp).where(Rsvp.ticket_token == token).options(joinedload(Rsvp.user))


def checked(rsvp: Rsvp | None, token: str) -> Rsvp | None:
    """The row the index found, if its secret matches in constant time."""
    return rsvp if rsvp is not None and same(rsvp.ticket_token, token) else None


def find(token: str | None) -> Rsvp | None:
    """The RSVP holding this ticket token (any event, any status), or None."""
    if not is_token_shaped(token):
        return None
    query = select_by_token(token).options(joinedload(Rsvp.event))
    return checked(db.session.scalar(query), token)


def is_valid(rsvp: Rsvp) -> bool:
    """A ticket that gets someone in: a going RSVP that still holds its token."""
    return rsvp.status == VALID and rsvp.ticket_token is not None


def token_from_scan(text: str | None) -> str | None:
    """The token in what the door scanned or typed: a bare token or a full ticket URL."""
    text = (text or "").strip()
    if is_token_shaped(text):
        return text
    if "/t/" not in text:
        return None
    match = _TICKET_PATH.fullmatch(urlsplit(text).path)
    return match.group(1) if match else None
