"""Group email is consented: who may receive what from a group, and the links to say no.

A group email belongs to a list (LISTS): the welcome sent once to an imported person,
announcements of events, reminders, introductions. Each member has one switch per list on
their membership (announcements, reminders, introductions); "No thanks" to the welcome or
unsubscribing turns them all off at once. An address that hard-bounced (services/mail/outbox.py)
gets no group email at all. Transactional mail (tickets, sign-in links, RSVP confirmations)
is not group email and always goes.

Every group email carries its List-* headers (RFC 2369, RFC 8058 one-click unsubscribe) and a
visible unsubscribe link: a signed per-person link (group, person) that works without signing
in. A GET shows one button; a POST (with or without the one-click body) unsubscribes.
"""

from __future__ import annotations

from datetime import datetime

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import delete, select, true, update
from sqlalchemy.orm import contains_eager

from ...extensions import db
from ...models import Event, Group, Membership, OutboxMessage, Rsvp, User, utcnow
from ...urls import MAX_ID, absolute_url, base_host
from ..errors import DomainError
from ..tokens import url_serializer

# list kind -> the membership switch that must be on
LISTS = {
    "welcome": None,  # sent once, before any answer: the import's choice decides the rest
    "announcements": Membership.mail_announcements,
    "reminders": Membership.mail_reminders,
    "intros": Membership.mail_intros,
}
PREFERENCES = ("mail_announcements", "mail_reminders", "mail_intros")

_SALTS = {"unsubscribe": "group-mail-unsubscribe", "welcome": "group-mail-welcome"}


def _signer(purpose: str) -> URLSafeSerializer:
    return url_serializer(_SALTS[purpose])


def member_token(purpose: str, group_id: int, user_id: int) -> str:
    """A signed per-person link token: `purpose` (unsubscribe, welcome) for this member."""
    return _signer(purpose).dumps([group_id, user_id])


def membership_by_token(purpose: str, token: str) -> Membership:
    """The membership a signed link names; `mail_link_invalid` for anything forged, mangled, or
    a person no longer in the group."""
    try:
        group_id, user_id = _signer(purpose).loads(token)
    except (BadData, TypeError, ValueError):
        raise DomainError("mail_link_invalid") from None
    if not all(type(v) is int and 1 <= v <= MAX_ID for v in (group_id, user_id)):
        raise DomainError("mail_link_invalid")
    membership = db.session.scalar(
        select(Membership).where(Membership.group_id == group_id, Membership.user_id == user_id)
    )
    if membership is None:
        raise DomainError("mail_link_invalid")
    return membership


def unsubscribe_url(group_id: int, user_id: int) -> str:
    return absolute_url(
        "group_mail.unsubscribe", token=member_token("unsubscribe", group_id, user_id)
    )


def list_id(group: Group) -> str:
    name = group.name.replace('"', "'").replace("<", "(").replace(">", ")")
    return f'"{name}" <{group.slug}.{base_host()}>'


def list_headers(group: Group, user_id: int) -> dict[str, str]:
    """The headers of one group email to one person (RFC 2369, RFC 2919, RFC 8058)."""
    return headers_for(list_id(group), unsubscribe_url(group.id, user_id))


def headers_for(list_id_value: str, unsubscribe: str) -> dict[str, str]:
    return {
        "List-Id": list_id_value,
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# ---------------------------------------------------------------- who may receive


def receives(kind: str):
    """SQL conditions (over Membership joined to User) under which a member gets `kind`."""
    switch = LISTS[kind]
    return (
        User.mail_undeliverable_at.is_(None),
        switch if switch is not None else true(),
    )


def may_send(membership: Membership | None, kind: str) -> bool:
    if membership is None or membership.user.mail_undeliverable_at is not None:
        return False
    switch = LISTS[kind]
    return True if switch is None else bool(getattr(membership, switch.key))


# ---------------------------------------------------------------- saying no, saying yes


def unsubscribe(membership: Membership, *, now: datetime | None = None) -> bool:
    """Stop all group email from this group to this person; False if it was already so.
    Group emails queued for them and not yet written are dropped."""
    now = now or utcnow()
    changed = any(getattr(membership, p) for p in PREFERENCES)
    for name in PREFERENCES:
        setattr(membership, name, False)
    if membership.unsubscribed_at is None or changed:
        membership.unsubscribed_at = now
    _drop_queued(membership)
    db.session.flush()
    return changed


def _drop_queued(membership: Membership) -> None:
    db.session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.group_id == membership.group_id,
            OutboxMessage.to_addr == membership.user.email,
            OutboxMessage.list_kind.is_not(None),
            OutboxMessage.status == "queued",
            OutboxMessage.attempts == 0,
        )
        .execution_options(synchronize_session=False)
    )


def answer_welcome(membership: Membership, yes: bool, *, now: datetime | None = None) -> None:
    """ "Yes, keep me posted" turns announcements on; "No thanks" stops all group email."""
    now = now or utcnow()
    membership.welcome_answer = "yes" if yes else "no"
    membership.welcome_answered_at = now
    if yes:
        membership.mail_announcements = True
        membership.unsubscribed_at = None
        db.session.flush()
    else:
        unsubscribe(membership, now=now)


def set_preferences(membership: Membership, **switches: bool) -> None:
    """The member's own choice on their profile (announcements, reminders, intros)."""
    for name, value in switches.items():
        if name not in PREFERENCES:
            raise DomainError("invalid_preference")
        setattr(membership, name, bool(value))
    if any(getattr(membership, p) for p in PREFERENCES):
        membership.unsubscribed_at = None
    else:
        _drop_queued(membership)
    db.session.flush()


def intros_off(group_id: int, user_ids: list[int]) -> set[int]:
    """Those of `user_ids` who turned off introductions from this group."""
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.group_id == group_id,
                Membership.user_id.in_(user_ids),
                Membership.mail_intros.is_(False),
            )
        )
    )


def my_memberships(user: User) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .join(Group, Group.id == Membership.group_id)
            .options(contains_eager(Membership.group))
            .where(Membership.user_id == user.id)
            .order_by(Group.name)
        )
    )


def show_members_who_answered(now: datetime) -> int:
    """Job: imported people who have since RSVPed to one of their group's events are shown to
    other members from now on. Run by the worker rather than on each answer: the RSVP's path
    stays as short as it is (a few statements under the event's lock)."""
    answered = (
        select(Rsvp.id)
        .join(Event, Event.id == Rsvp.event_id)
        .where(Rsvp.user_id == Membership.user_id, Event.group_id == Membership.group_id)
        .exists()
    )
    result = db.session.execute(
        update(Membership)
        .where(Membership.source == "import", Membership.active_at.is_(None), answered)
        .values(active_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
