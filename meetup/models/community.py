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
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

if TYPE_CHECKING:  # relationships name these; SQLAlchemy resolves them by class name
    from .accounts import User
    from .events import Event

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

    group: Mapped[Group] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")
