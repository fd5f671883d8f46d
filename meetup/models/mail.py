"""The outbox: every email, written in the transaction of the change that causes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

OUTBOX_STATUSES = ("queued", "sending", "sent", "failed")


class OutboxMessage(db.Model):
    """An email written in the same transaction as the change that causes it.

    The worker claims rows (FOR UPDATE SKIP LOCKED on PostgreSQL) and delivers them.
    `dedupe_key` makes a scheduled job idempotent: (event, person, kind) is sent once.
    A row with a `notice` and no body yet is written by the worker when it first sends it
    (worker/notices.py), so the request that caused it renders nothing.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at", "id"),)  # migration 0023

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)  # stable Message-ID
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(120), default="")
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str | None] = mapped_column(Text)  # None: a notice not yet written
    body_html: Mapped[str | None] = mapped_column(Text)
    notice: Mapped[dict | None] = mapped_column(JSON)  # what to write (worker/notices.py)
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
    # Group email: the list it belongs to (welcome, announcements, reminders, intros), and its
    # List-* headers; None for transactional mail (tickets, sign-in links), which always goes.
    list_kind: Mapped[str | None] = mapped_column(String(20))
    headers: Mapped[dict | None] = mapped_column(JSON)


ANNOUNCEMENT_KINDS = ("event", "few_seats", "waitlist_open")


class Announcement(db.Model):
    """An event announced to the group's members by email: once per event and kind. The
    worker queues its emails in chunks (services/mail/announcements.py); `queued` of `total`
    is the progress the organizer sees."""

    __tablename__ = "announcements"
    __table_args__ = (UniqueConstraint("event_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # ANNOUNCEMENT_KINDS
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="queueing", index=True)  # or done
    total: Mapped[int | None] = mapped_column(Integer)
    queued: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
