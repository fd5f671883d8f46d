"""Hard bounces: an address a mail server refused for good (SMTP 5xx) on a group email gets no
more group email from any group; transactional mail (tickets, sign-in links) still goes, so a
person can always sign in and fix their address. Organizers see who is undeliverable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update

from ...extensions import db
from ...models import Membership, User
from .messages import one_line


def mark_undeliverable(write: Callable, address: str, reason: str, *, now: datetime) -> None:
    """Record the bounce on the person with this address, through `write` (the worker's
    ledger, which commits at once)."""
    write(
        update(User)
        .where(User.email == address.lower(), User.mail_undeliverable_at.is_(None))
        .values(mail_undeliverable_at=now, mail_bounce=one_line(reason)[:300])
    )


def undeliverable_members(group_id: int, limit: int = 200) -> list[User]:
    """The group's members whose address bounced, most recent first (for organizers)."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.group_id == group_id, User.mail_undeliverable_at.is_not(None))
            .order_by(User.mail_undeliverable_at.desc())
            .limit(limit)
        )
    )


def clear(user: User) -> None:
    """The person changed or confirmed their address: group email may go again."""
    user.mail_undeliverable_at = None
    user.mail_bounce = None
    db.session.flush()
