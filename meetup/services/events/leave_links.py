"""Leave links: someone waiting holds no ticket, so their waitlist email carries a signed link
to leave the line without signing in.

It names the RSVP and the moment they joined the line: it stops working once they leave, get
a seat or join again (a new moment). Using it is answers.leave_waitlist.
"""

from __future__ import annotations

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Rsvp, utcnow
from ...urls import MAX_ID
from ..errors import DomainError
from ..tokens import url_serializer
from . import seats

_LEAVE_SALT = "rsvp-leave-waitlist"


def _leave_signer() -> URLSafeSerializer:
    return url_serializer(_LEAVE_SALT)


def leave_token(rsvp: Rsvp) -> str:
    return _leave_signer().dumps([rsvp.id, rsvp.requested_at.isoformat()])


def waiting_by_leave_token(token: str) -> Rsvp:
    """The waitlisted RSVP a leave link is for. `leave_link_invalid` for anything forged, mangled
    or outdated; `not_waitlisted_anymore` once they are no longer waiting; `event_started`
    or `event_cancelled` once the list is closed."""
    try:
        rsvp_id, joined = _leave_signer().loads(token)
    except (BadData, TypeError, ValueError):
        raise DomainError("leave_link_invalid") from None
    rsvp = None
    # Only we sign these, but a row id the database can't hold must not become a 500.
    if type(rsvp_id) is int and 1 <= rsvp_id <= MAX_ID and isinstance(joined, str):
        rsvp = db.session.get(
            Rsvp, rsvp_id, options=[joinedload(Rsvp.event), joinedload(Rsvp.user)]
        )
    if rsvp is None or rsvp.requested_at.isoformat() != joined:
        raise DomainError("leave_link_invalid")
    if rsvp.status != "waitlisted":
        raise DomainError("not_waitlisted_anymore")
    seats.ensure_changeable(rsvp.event, utcnow())
    return rsvp
