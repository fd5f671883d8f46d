"""Groups, their members and invite links."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    event,
    false,
    inspect,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

if TYPE_CHECKING:  # relationships name these; SQLAlchemy resolves them by class name
    from .accounts import User
    from .events import Event

# Who other members see in a member list: people an organizer imported only once they joined
# or RSVPed themselves. Written as the member list's query writes it, so that the databases
# match it to the partial index ix_memberships_shown.
SHOWN_TO_MEMBERS = "memberships.source != 'import' OR memberships.active_at IS NOT NULL"

PLATFORMS = ("slack", "discord", "linkedin", "whatsapp", "mailing_list", "other")


ROLES = ("organizer", "co_organizer", "member")


class Group(db.Model):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    platform: Mapped[str] = mapped_column(String(20), default="other")
    community_url: Mapped[str] = mapped_column(String(500), default="")
    # The language of its pages and emails for people who chose none; its organizer's at first.
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A daily email to organizers of new RSVPs and cancellations (services/insights/digest.py).
    rsvp_digest: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="group", cascade="all, delete-orphan", passive_deletes=True
    )
    invites: Mapped[list[Invite]] = relationship(
        back_populates="group", cascade="all, delete-orphan", passive_deletes=True
    )
    events: Mapped[list[Event]] = relationship(
        back_populates="group", cascade="all, delete-orphan", passive_deletes=True
    )


class Invite(db.Model):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[Group] = relationship(back_populates="invites")


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("group_id", "user_id"),
        CheckConstraint("role IN ('organizer', 'co_organizer', 'member')", name="role"),
        # The insights count members per channel and join date from the index alone.
        Index("ix_memberships_channel", "group_id", "source", "invite_id", "joined_at"),
        # The member list, a page at a time in its order, from the index alone: everyone
        # (organizers' view), and those shown to other members (see SHOWN_TO_MEMBERS).
        Index("ix_memberships_list", "group_id", "sort_rank", "sort_name", "user_id"),
        Index(
            "ix_memberships_shown",
            "group_id",
            "sort_rank",
            "sort_name",
            "user_id",
            sqlite_where=text(SHOWN_TO_MEMBERS),
            postgresql_where=text(SHOWN_TO_MEMBERS),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="member")
    source: Mapped[str] = mapped_column(String(20), default="invite")  # invite, import, created
    invite_id: Mapped[int | None] = mapped_column(
        ForeignKey("invites.id", ondelete="SET NULL"), index=True
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Group email this member accepts (services/mail/consent.py); unsubscribing turns all off.
    mail_announcements: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    mail_reminders: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    mail_intros: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    welcome_answer: Mapped[str | None] = mapped_column(String(10))  # yes, no (imported people)
    welcome_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When an imported person joined or RSVPed themselves: shown to other members from then.
    active_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who imported them (a user id, no foreign key: see migration 0010); None if unknown.
    imported_by_id: Mapped[int | None] = mapped_column(Integer)
    # The channel they joined through (`?via=`, else their invite link's label as a slug).
    channel: Mapped[str | None] = mapped_column(String(40))
    # Where they sit in the group's member list (member_sort), kept as their role, name and
    # email change: ordering 50,000 rows by a join on every page was too slow.
    sort_rank: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    sort_name: Mapped[str] = mapped_column(String(254), default="", server_default="")

    group: Mapped[Group] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


ROLE_RANKS = {"organizer": 0, "co_organizer": 1}


def member_sort(role: str, name: str | None, email: str) -> tuple[int, str]:
    """(sort_rank, sort_name) of a member in their group's list: organizers, co-organizers,
    then members; among each, people with a name by name (case aside), then those without by
    email."""
    rank = ROLE_RANKS.get(role, 2) * 2 + (0 if name else 1)
    return rank, (name.lower() if name else email.lower())[:254]


@event.listens_for(Session, "before_flush")
def _keep_member_order(session: Session, _context, _instances) -> None:
    """Memberships made or given another role, and people renamed, keep their place in
    member lists (Core statements that change these set it themselves)."""
    from .accounts import User

    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Membership) and (obj in session.new or _changed(obj, "role")):
            user = obj.__dict__.get("user") or (
                session.get(User, obj.user_id) if obj.user_id is not None else None
            )
            if user is not None:
                obj.sort_rank, obj.sort_name = member_sort(obj.role, user.name, user.email)
        elif isinstance(obj, User) and obj in session.dirty and _renamed(obj):
            sort_name = member_sort("member", obj.name, obj.email)[1]
            session.execute(
                update(Membership)
                .where(Membership.user_id == obj.id)
                .values(sort_rank=role_rank_sql(obj.name), sort_name=sort_name)
                .execution_options(synchronize_session=False)
            )


def role_rank_sql(name: str | None):
    """member_sort()'s rank in SQL, from each row's role, for a person called `name`."""
    by_role = case({"organizer": 0, "co_organizer": 2}, value=Membership.role, else_=4)
    return by_role + (0 if name else 1)


def _changed(obj: object, attribute: str) -> bool:
    return inspect(obj).attrs[attribute].history.has_changes()


def _renamed(user) -> bool:
    return user.id is not None and (_changed(user, "name") or _changed(user, "email"))
