"""Invite links: one per channel ("Slack #general"), joining through them, and how many joined
through each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Group, Invite, Membership, User, utcnow
from .. import text, tokens
from ..channels import labels
from ..errors import DomainError
from ..permissions import require_organizer
from ..tokens import new_token
from . import groups, members


def create_invite(group: Group, actor: User, label: str, *, now: datetime | None = None) -> Invite:
    require_organizer(group, actor)
    label = " ".join((label or "").split())
    if not label:
        raise DomainError("label_required")
    if len(label) > groups.LABEL_MAX:
        raise DomainError("too_long")
    invite = Invite(group_id=group.id, code=new_token(), label=label, created_at=now or utcnow())
    db.session.add(invite)
    db.session.flush()
    return invite


def revoke_invite(
    group: Group, actor: User, invite_id: int, *, now: datetime | None = None
) -> Invite:
    require_organizer(group, actor)
    return tokens.revoke(Invite, invite_id, owner=("group_id", group.id), now=now or utcnow())


@dataclass(frozen=True)
class InviteStats:
    invite: Invite
    joined: int


def invites_with_counts(group: Group) -> list[InviteStats]:
    """Every link of the group with how many joined through it: one query for all links."""
    joined = func.count(Membership.id)
    rows = db.session.execute(
        select(Invite, joined)
        .outerjoin(Membership, Membership.invite_id == Invite.id)
        .where(Invite.group_id == group.id)
        .group_by(Invite.id)
        .order_by(Invite.revoked_at.is_not(None), Invite.created_at.desc(), Invite.id.desc())
    ).all()
    return [InviteStats(invite, count) for invite, count in rows]


def find_invite(code: str) -> Invite:
    """The active link for `code`. Unknown (or its group deleted): 404; revoked: 410."""
    if not code or len(code) > 64:
        raise DomainError("invite_not_found")
    invite = db.session.scalar(select(Invite).where(Invite.code == code))
    if invite is None:
        raise DomainError("invite_not_found")
    if invite.revoked_at is not None:
        raise DomainError("invite_revoked")
    return invite


def join(
    code: str,
    user: User,
    *,
    name: str | None = None,
    channel: str | None = None,
    now: datetime | None = None,
) -> tuple[Membership, bool]:
    """Join through an invite link: (membership, True if new). Joining twice changes nothing.
    `name`: what they call themselves, kept on their profile; `name_required` if they have
    none yet and give none. `channel`: the `?via=` the link was opened with; else the link's
    label stands for it."""
    invite = find_invite(code)
    name = " ".join((name or "").split())[:120]
    if refused := text.refusal(name):
        raise DomainError(refused)
    if name:
        user.name = name
    elif not user.name:
        raise DomainError("name_required")
    existing = db.session.scalar(
        select(Membership).where(
            Membership.group_id == invite.group_id, Membership.user_id == user.id
        )
    )
    if existing is not None:
        if existing.active_at is None:  # imported, now joining themselves: shown to members
            existing.active_at = now or utcnow()
            db.session.flush()
        return existing, False
    m = Membership(
        group_id=invite.group_id,
        user_id=user.id,
        role="member",
        source="invite",
        invite_id=invite.id,
        channel=labels.clean(channel) or labels.from_text(invite.label),
        joined_at=now or utcnow(),
        active_at=now or utcnow(),
    )
    try:
        with db.session.begin_nested():  # a double tap on two devices
            db.session.add(m)
            db.session.flush()
    except IntegrityError:
        return members.membership(invite.group, user.id), False
    return m, True
