"""The tables. Times are stored in UTC (see UTCDateTime); each event carries its IANA zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python, naive UTC in the database (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# ---------------------------------------------------------------- people


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str | None] = mapped_column(String(256))
    name: Mapped[str] = mapped_column(String(120), default="")
    headline: Mapped[str] = mapped_column(String(160), default="")
    company: Mapped[str] = mapped_column(String(120), default="")
    looking_for: Mapped[str] = mapped_column(Text, default="")
    can_offer: Mapped[str] = mapped_column(Text, default="")
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Intent tags from services/intents.py, e.g. ["looking_for_job"] / ["hiring"].
    looking_intents: Mapped[list[str]] = mapped_column(JSON, default=list)
    offer_intents: Mapped[list[str]] = mapped_column(JSON, default=list)
    wants_intros: Mapped[bool] = mapped_column(Boolean, default=True)
    max_intros: Mapped[int] = mapped_column(Integer, default=3)
    intro_colleagues: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_details: Mapped[str] = mapped_column(Text, default="")  # shared on a mutual yes
    feed_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Rotated on sign-out-everywhere and account changes; part of the session id.
    session_token: Mapped[str] = mapped_column(String(64))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@", 1)[0]


class LoginToken(db.Model):
    """A magic link: single use, short-lived, stored only as a hash."""

    __tablename__ = "login_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    purpose: Mapped[str] = mapped_column(String(32), default="login")
    # What to do once the link is used: {"next": "/e/abc", "name": "...", "rsvp_id": 3, ...}
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IntroBlock(db.Model):
    """ "Don't introduce me to this person"; private to the blocker."""

    __tablename__ = "intro_blocks"
    __table_args__ = (UniqueConstraint("user_id", "blocked_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    blocked_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


# ---------------------------------------------------------------- groups

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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

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

    group: Mapped[Group] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


# ---------------------------------------------------------------- events

VISIBILITIES = ("public", "members")


class Event(db.Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)  # public id in /e/<key>
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))  # IANA name
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    venue_address: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    rsvp_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    visibility: Mapped[str] = mapped_column(String(20), default="public")
    claim_window_hours: Mapped[int | None] = mapped_column(Integer)
    reminder_hours: Mapped[int | None] = mapped_column(Integer, default=24)  # None: no reminder
    intros_delay_hours: Mapped[int] = mapped_column(Integer, default=18)
    intros_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # iCalendar SEQUENCE: rises on each change of time or place, and on cancellation.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    group: Mapped[Group] = relationship(back_populates="events")
    rsvps: Mapped[list[Rsvp]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True
    )


RSVP_STATUSES = ("pending", "going", "waitlisted", "not_going", "removed")


class Rsvp(db.Model):
    """One person's answer to one event.

    pending: asked while signed out, held until the magic link confirms it; its place in
    line is `requested_at`, the moment they asked. Seats are derived by counting `going`.
    """

    __tablename__ = "rsvps"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        # checked_in_at last: the door counter counts from the index alone.
        Index("ix_rsvps_event_status", "event_id", "status", "requested_at", "checked_in_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Per-event answers, prefilled from the profile.
    looking_for: Mapped[str] = mapped_column(Text, default="")
    can_offer: Mapped[str] = mapped_column(Text, default="")
    wants_intros: Mapped[bool] = mapped_column(Boolean, default=True)
    ticket_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # promoted, unclaimed
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[str | None] = mapped_column(String(120))  # a name, for "by Sam"
    checkin_flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # admitted twice offline
    # Rises each time this person gains or loses their seat: their emailed invites carry
    # Event.sequence + this (services/invites.py), so a seat taken by one person leaves
    # the event, and everyone's feeds, as they were.
    invite_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    event: Mapped[Event] = relationship(back_populates="rsvps")
    user: Mapped[User] = relationship()


class DoorLink(db.Model):
    """A volunteer's door page access: one event, revocable, expires after the event."""

    __tablename__ = "door_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CheckinLog(db.Model):
    """Audit of the door: every check-in, repeat, undo and offline sync, and who did it.

    The nonce makes a retried request answer as the first time and add nothing.
    """

    __tablename__ = "checkin_log"
    __table_args__ = (UniqueConstraint("event_id", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    rsvp_id: Mapped[int | None] = mapped_column(ForeignKey("rsvps.id", ondelete="SET NULL"))
    nonce: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))  # checkin, undo
    method: Mapped[str] = mapped_column(String(20))  # scan, manual, walkin, offline
    status: Mapped[str] = mapped_column(String(32))  # the answer given
    actor: Mapped[str] = mapped_column(String(160))  # "user:3" or "door:7 (Sam)"
    device: Mapped[str] = mapped_column(String(120), default="")
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)  # on the device (offline: earlier)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    response: Mapped[dict] = mapped_column(JSON, default=dict)


# ---------------------------------------------------------------- introductions

INTRO_STATUSES = ("proposed", "removed", "sent", "accepted", "declined")


class IntroPair(db.Model):
    """A suggested introduction between two people who met at an event.

    user_a_id < user_b_id; a pair is never suggested twice across events (checked by the
    matcher against every non-removed row).
    """

    __tablename__ = "intro_pairs"
    __table_args__ = (
        UniqueConstraint("event_id", "user_a_id", "user_b_id"),
        CheckConstraint("user_a_id < user_b_id", name="ordered"),
        Index("ix_intro_pairs_users", "user_a_id", "user_b_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_a_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    user_b_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(default=0.0)
    reason_for_a: Mapped[str] = mapped_column(Text, default="")  # why A should meet B
    reason_for_b: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    source: Mapped[str] = mapped_column(String(20), default="auto")  # auto, organizer
    token_a: Mapped[str | None] = mapped_column(String(64), unique=True)  # A's yes/no links
    token_b: Mapped[str | None] = mapped_column(String(64), unique=True)
    answer_a: Mapped[str | None] = mapped_column(String(10))  # yes, no
    answer_b: Mapped[str | None] = mapped_column(String(10))
    met_a: Mapped[str | None] = mapped_column(String(10))  # "Did you meet?": yes, no
    met_b: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    introduced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user_a: Mapped[User] = relationship(foreign_keys=[user_a_id])
    user_b: Mapped[User] = relationship(foreign_keys=[user_b_id])


# ---------------------------------------------------------------- email

OUTBOX_STATUSES = ("queued", "sending", "sent", "failed")


class OutboxMessage(db.Model):
    """An email written in the same transaction as the change that causes it.

    The worker claims rows (FOR UPDATE SKIP LOCKED on PostgreSQL) and delivers them.
    `dedupe_key` makes a scheduled job idempotent: (event, person, kind) is sent once.
    A row with a `notice` and no body yet is written by the worker when it first sends it
    (services/notices.py), so the request that caused it renders nothing.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)  # stable Message-ID
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(120), default="")
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str | None] = mapped_column(Text)  # None: a notice not yet written
    body_html: Mapped[str | None] = mapped_column(Text)
    notice: Mapped[dict | None] = mapped_column(JSON)  # what to write (services/notices.py)
    ics: Mapped[str | None] = mapped_column(Text)  # a text/calendar part, for invites
    ics_method: Mapped[str | None] = mapped_column(String(20))  # REQUEST, CANCEL, PUBLISH
    qr_url: Mapped[str | None] = mapped_column(String(500))  # a ticket, shown as a QR image
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    group_id: Mapped[int | None] = mapped_column(  # lets organizers see their failures
        ForeignKey("groups.id", ondelete="SET NULL"), index=True
    )
