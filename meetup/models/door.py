"""Volunteer door links and the door log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


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
    # A named guest's ticket (models/guests.py); rsvp_id is then their host's RSVP.
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("rsvp_guests.id", ondelete="SET NULL"))
    nonce: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))  # checkin, undo
    method: Mapped[str] = mapped_column(String(20))  # scan, manual, walkin, offline
    status: Mapped[str] = mapped_column(String(32))  # the answer given
    actor: Mapped[str] = mapped_column(String(160))  # "user:3" or "door:7 (Sam)"
    device: Mapped[str] = mapped_column(String(120), default="")
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)  # on the device (offline: earlier)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    response: Mapped[dict] = mapped_column(JSON, default=dict)
