"""People and their sign-in links."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

if TYPE_CHECKING:  # relationships name these; SQLAlchemy resolves them by class name
    from .community import Membership


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
    # Intent tags from services/intros/intents.py, e.g. ["looking_for_job"] / ["hiring"].
    looking_intents: Mapped[list[str]] = mapped_column(JSON, default=list)
    offer_intents: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Tags read in their profile's words that they unticked: not counted (intros/reading.py).
    declined_intents: Mapped[list[str] | None] = mapped_column(JSON)
    wants_intros: Mapped[bool] = mapped_column(Boolean, default=True)
    max_intros: Mapped[int] = mapped_column(Integer, default=3)
    intro_colleagues: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_details: Mapped[str] = mapped_column(Text, default="")  # shared on a mutual yes
    # Their language ("fr"); None follows the group's, then the browser's (templating.py).
    locale: Mapped[str | None] = mapped_column(String(8))
    feed_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Rotated on sign-out-everywhere and account changes; part of the session id.
    session_token: Mapped[str] = mapped_column(String(64))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A hard bounce (SMTP 5xx): no more group email to this address; transactional mail goes.
    mail_undeliverable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mail_bounce: Mapped[str | None] = mapped_column(String(300))

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
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
