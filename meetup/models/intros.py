"""Introductions: proposed pairs, and people someone never wants suggested."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

if TYPE_CHECKING:  # relationships name these; SQLAlchemy resolves them by class name
    from .accounts import User


class IntroBlock(db.Model):
    """ "Don't introduce me to this person"; private to the blocker."""

    __tablename__ = "intro_blocks"
    __table_args__ = (UniqueConstraint("user_id", "blocked_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    blocked_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


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
