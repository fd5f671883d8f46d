"""Events and RSVPs."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
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
    from .community import Group
    from .guests import RsvpGuest

VISIBILITIES = ("public", "members")


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("series_id", "series_index"),)

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
    # The organizer's questions at RSVP, in order (services/events/questions.py); None: none.
    questions: Mapped[list | None] = mapped_column(JSON)
    claim_window_hours: Mapped[int | None] = mapped_column(Integer)
    reminder_hours: Mapped[int | None] = mapped_column(Integer, default=24)  # None: no reminder
    intros_delay_hours: Mapped[int] = mapped_column(Integer, default=18)
    intros_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Follow-ups once it has ended (services/insights/followups.py): off by default.
    followup_thanks: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    followup_missed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # iCalendar SEQUENCE: rises on each change of time or place, and on cancellation.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # An occurrence of a series: its place in the rule (0 = the first date), and whether it
    # was edited on its own (then edits to the series leave it as it is).
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("series.id", ondelete="SET NULL"), index=True
    )
    series_index: Mapped[int | None] = mapped_column(Integer)
    series_detached: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The organizer approves each RSVP (services/events/approval.py): an answer is a request
    # until then. With it, the address may be kept from all but those holding a seat.
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    hide_address: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Named plus-ones (models/guests.py): how many guests one person may bring, and whether a
    # freed seat may go to a smaller party behind a larger one waiting first.
    max_guests: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    parties_may_pass: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    group: Mapped[Group] = relationship(back_populates="events")
    series: Mapped[Series | None] = relationship(back_populates="events")
    rsvps: Mapped[list[Rsvp]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True
    )

    def has_ended(self, now: datetime | None = None) -> bool:
        return self.ends_at <= (now or utcnow())

    def has_started(self, now: datetime | None = None) -> bool:
        return self.starts_at <= (now or utcnow())

    @property
    def public_address(self) -> str:
        """The address as anyone may see it: empty while it is shared only once approved
        (services/events/approval.py says who sees it then)."""
        return "" if self.hide_address else self.venue_address


RSVP_STATUSES = (
    "pending",
    "requested",
    "going",
    "waitlisted",
    "not_going",
    "removed",
    "declined",
)


class Rsvp(db.Model):
    """One person's answer to one event.

    pending: asked while signed out, held until the magic link confirms it; its place in
    line is `requested_at`, the moment they asked. Seats are derived by counting `going`.
    requested: asked to come to an event whose organizer approves each RSVP; holds no seat
    and no ticket until approved (then going or waitlisted). declined: the organizer said no.
    """

    __tablename__ = "rsvps"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        # checked_in_at and party_size last: the door counter and the seat count (a sum of
        # party sizes) read from the index alone.
        Index(
            "ix_rsvps_event_status",
            "event_id",
            "status",
            "requested_at",
            "checked_in_at",
            "party_size",
        ),
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
    # The intent chips as answered for this event: {"looking", "offer", "declined", "read"}
    # tag lists; None until answered with the chips shown (their words count alone).
    intents: Mapped[dict | None] = mapped_column(JSON)
    # Answers to the event's questions, {question id: text, list of options or True}; seen by
    # organizers only (services/events/questions.py).
    question_answers: Mapped[dict | None] = mapped_column(JSON)
    ticket_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # promoted, unclaimed
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[str | None] = mapped_column(String(120))  # a name, for "by Sam"
    checkin_flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # admitted twice offline
    # Rises each time this person gains or loses their seat: their emailed invites carry
    # Event.sequence + this (services/calendar/invites.py), so a seat taken by one person leaves
    # the event, and everyone's feeds, as they were.
    invite_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The first channel they came through (`?via=slack-general`, services/channels/labels.py).
    channel: Mapped[str | None] = mapped_column(String(40))
    # For the insights: the last time a seat was given from the waitlist, and the time a seat
    # was given up ("can't go" after going; cleared when they take a seat again).
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Shown by name and headline to other members in "Who's going" (their choice, off by default).
    listed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The person and their named guests (models/guests.py): the seats this RSVP takes when
    # going. Seats are the sum of party_size over going rows; the guests service keeps it
    # equal to 1 + the number of guest rows, under the event's lock.
    party_size: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    event: Mapped[Event] = relationship(back_populates="rsvps")
    user: Mapped[User] = relationship()
    guests: Mapped[list[RsvpGuest]] = relationship(
        back_populates="rsvp",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RsvpGuest.id",
    )


SERIES_FREQUENCIES = ("weekly", "biweekly", "monthly")


class Series(db.Model):
    """Events on a rhythm ("every other Tuesday", "monthly on the first Thursday").

    Each occurrence is its own Event (own RSVPs, capacity, tickets, door); they are created
    as they come within the horizon (services/events/series.py), copying `template`: the
    event fields other than the date, with the local start time and the length.
    """

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)  # public id in /s/<key>
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    frequency: Mapped[str] = mapped_column(String(20))  # SERIES_FREQUENCIES
    first_start_local: Mapped[datetime] = mapped_column(DateTime)  # wall clock in the zone
    until: Mapped[date | None] = mapped_column(Date)  # last possible date, in the zone
    count: Mapped[int | None] = mapped_column(Integer)  # or how many occurrences in all
    template: Mapped[dict] = mapped_column(JSON)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # no more occurrences
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship()
    events: Mapped[list[Event]] = relationship(back_populates="series")

    @property
    def title(self) -> str:
        return self.template.get("title", "")


class SeriesFollower(db.Model):
    """Someone told of each new occurrence of a series."""

    __tablename__ = "series_followers"
    __table_args__ = (UniqueConstraint("series_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
