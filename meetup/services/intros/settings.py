"""A person's introduction settings: intent tags, how many, colleagues, who never to suggest."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import IntroBlock, Membership, User
from ..errors import DomainError
from . import intents


def blocked(user: User) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(IntroBlock, IntroBlock.blocked_user_id == User.id)
            .where(IntroBlock.user_id == user.id)
            .order_by(func.lower(User.name), User.id)
        )
    )


def find_co_member(user: User, name: str) -> User:
    """Someone in one of my groups, by name (any case); refuses unknown and ambiguous names."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("intro_block_unknown")
    mine, theirs = aliased(Membership), aliased(Membership)
    co_members = select(theirs.user_id).join(
        mine, (mine.group_id == theirs.group_id) & (mine.user_id == user.id)
    )
    found = list(
        db.session.scalars(
            select(User)
            .where(
                User.id.in_(co_members), User.id != user.id, func.lower(User.name) == name.lower()
            )
            .order_by(User.id)
            .limit(2)
        )
    )
    if not found:
        raise DomainError("intro_block_unknown")
    if len(found) > 1:
        raise DomainError("intro_block_ambiguous")
    return found[0]


def save(
    user: User,
    *,
    looking_intents: list[str],
    offer_intents: list[str],
    max_intros: int,
    intro_colleagues: bool,
    keep_blocked: list[int],
    block_name: str = "",
    declined_intents: list[str] | None = None,
) -> User | None:
    """Store the settings; returns the person newly blocked by name, if any.
    `declined_intents`: tags read in the profile's words that were unticked (None: the
    form had no chips to untick, what was declined stays)."""
    if max_intros not in (0, 1, 2, 3):
        raise DomainError("out_of_range")
    newly = find_co_member(user, block_name) if block_name.strip() else None
    offered = intents.clean(offer_intents)
    # A tag that counts on both sides ("Looking for a co-founder") is listed under "I'm
    # looking for" only; a form cached from when it was also under "I can offer" keeps it.
    both = [t for t in offered if intents.INTENTS[t].side == "both"]
    looking = intents.clean([*looking_intents, *both])
    user.looking_intents = [t for t in looking if t in intents.LOOKING_TAGS]
    user.offer_intents = [t for t in offered if t in intents.OFFER_TAGS]
    if declined_intents is not None:
        user.declined_intents = list(intents.clean(declined_intents))
    user.max_intros = max_intros
    user.intro_colleagues = bool(intro_colleagues)
    keep = set(keep_blocked)
    db.session.execute(
        delete(IntroBlock).where(
            IntroBlock.user_id == user.id, IntroBlock.blocked_user_id.not_in(keep or {0})
        )
    )
    if newly is not None and newly.id not in keep:
        db.session.add(IntroBlock(user_id=user.id, blocked_user_id=newly.id))
    db.session.flush()
    return newly
