"""Named plus-ones: the guests someone brings to an event.

Each guest is a row of their own under their host's RSVP, with their own ticket, check-in
and introductions consent. They hold seats through their host: the RSVP's `party_size`
(1 + its guests) is what the seat count sums, so a party is seated or waits as one.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .events import Rsvp


class RsvpGuest(db.Model):
    """One named guest of an RSVP (its host).

    `ticket_token` is drawn when the party takes its seats and cleared when it loses them,
    as the host's is: a guest's ticket gets in only while the host's RSVP is going.
    `consent_token` is the guest's own link to say what they look for and offer and to opt
    in to introductions (`intro_consent_at`); without it they are never in introductions.
    """

    __tablename__ = "rsvp_guests"

    id: Mapped[int] = mapped_column(primary_key=True)
    rsvp_id: Mapped[int] = mapped_column(ForeignKey("rsvps.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    ticket_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[str | None] = mapped_column(String(120))
    checkin_flagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    consent_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    looking_for: Mapped[str] = mapped_column(Text, default="", server_default="")
    can_offer: Mapped[str] = mapped_column(Text, default="", server_default="")
    intro_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the guest is also a member of the site (same email): for later use by intros.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    rsvp: Mapped[Rsvp] = relationship(back_populates="guests")

    @classmethod
    def with_ticket_and_address(cls) -> tuple:
        """SQL conditions for the guests an email can reach with their ticket: an address
        given, a ticket held, the host going (in a query joined to the host's Rsvp)."""
        from .events import Rsvp  # the two modules name each other

        return (Rsvp.status == "going", cls.ticket_token.is_not(None), cls.email.is_not(None))
