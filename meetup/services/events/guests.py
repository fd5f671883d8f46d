"""Named plus-ones, row by row: checking what a host gives, writing guest rows, and giving or
taking back their tickets as the party gains or loses its seats.

A guest holds a seat through their host: the host's Rsvp.party_size (1 + their guests) is
what services/events/seats.py sums, so a party is seated or waits whole. This module keeps
party_size equal to 1 + the guest rows. Its callers hold the event's lock (answers.answer,
rows.seat/unseat, and services/events/parties.py for a host's later changes).

A guest's ticket is drawn when the party takes its seats and cleared when it loses them, as
the host's is: secrets, 192 bits, unique, compared in constant time at the door. A guest
with an email gets it by email (with the event's calendar file and their introductions
consent link); otherwise their QR code is on the host's ticket page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import Event, Rsvp, RsvpGuest, User, utcnow
from ...urls import absolute_url, event_url, ticket_url
from .. import text
from ..accounts import users as accounts
from ..accounts.users import normalize_email
from ..calendar import files as calendar
from ..calendar import invites
from ..door import tickets
from ..errors import DomainError
from ..mail import messages as mail
from ..mail import reminders
from ..tokens import new_token, same

MAX_NAME = 120
MAX_GUESTS = 10  # the most an organizer may allow per person


@dataclass(frozen=True)
class GuestInput:
    """A guest as the host gives them: a name, and an email if they have one to give."""

    name: str
    email: str | None = None

    def as_payload(self) -> dict:
        return {"name": self.name, "email": self.email}

    @classmethod
    def from_payload(cls, payload: object) -> GuestInput | None:
        if not isinstance(payload, dict) or not isinstance(payload.get("name"), str):
            return None
        email = payload.get("email")
        return cls(payload["name"], email if isinstance(email, str) else None)


def clean_one(guest: GuestInput) -> GuestInput:
    """A name (required, one line, at most MAX_NAME characters) and a valid email or none."""
    name = " ".join(guest.name.split())[:MAX_NAME]
    if not name:
        raise DomainError("guest_name_required")
    if refused := text.refusal(name):  # the RSVP form's guest rows are read here, not by a form
        raise DomainError(refused)
    email = (guest.email or "").strip()
    return GuestInput(name, normalize_email(email) if email else None)


def clean(event: Event, guests: list[GuestInput]) -> list[GuestInput]:
    """The guests a host brings to `event`, checked: `too_many_guests` past the event's limit."""
    cleaned = [clean_one(g) for g in guests if g.name.strip() or (g.email or "").strip()]
    if len(cleaned) > event.max_guests:
        raise DomainError("too_many_guests", max=event.max_guests)
    return cleaned


def of(rsvp: Rsvp) -> list[RsvpGuest]:
    """The guests of `rsvp`, in the order they were added (none for a row not written yet,
    nor, without a query, for a party of one)."""
    if rsvp.id is None or (rsvp.party_size or 1) <= 1:
        return []
    return _rows_of(rsvp.id)


def _rows_of(rsvp_id: int) -> list[RsvpGuest]:
    return list(
        db.session.scalars(
            select(RsvpGuest).where(RsvpGuest.rsvp_id == rsvp_id).order_by(RsvpGuest.id)
        )
    )


def replace_party(rsvp: Rsvp, guests: list[GuestInput], now: datetime) -> list[RsvpGuest]:
    """Write the guests of a party just placed (answers.answer sets party_size first, so the
    party was seated or put in line whole); guests it had before are replaced."""
    # party_size is already the new party's: the rows it had are read whatever it says.
    for old in _rows_of(rsvp.id) if rsvp.id is not None else ():
        db.session.delete(old)
    rows = [new_row(rsvp, guest, now) for guest in guests]
    rsvp.party_size = 1 + len(rows)
    db.session.flush()
    if rsvp.status == "going":
        for row in rows:
            send_ticket(row, rsvp, now)
    return rows


def new_row(rsvp: Rsvp, guest: GuestInput, now: datetime) -> RsvpGuest:
    row = RsvpGuest(
        rsvp_id=rsvp.id,
        event_id=rsvp.event_id,
        name=guest.name,
        email=guest.email,
        ticket_token=new_token() if rsvp.status == "going" else None,
        consent_token=new_token() if guest.email else None,
        created_at=now,
    )
    db.session.add(row)
    return row


def seated(rsvp: Rsvp, now: datetime) -> None:
    """The party took its seats (rows.seat): each guest gets a new ticket, emailed if they
    have an address."""
    for guest in of(rsvp):
        guest.ticket_token = new_token()
        send_ticket(guest, rsvp, now)


def unseated(rsvp: Rsvp, now: datetime | None = None) -> None:
    """The party lost its seats or its place (rows.unseat): the guests' tickets stop working,
    and a guest who held one and has an address is told so."""
    for guest in of(rsvp):
        if guest.ticket_token is not None and guest.email:
            _send_cancelled(guest, rsvp, now or utcnow())
        guest.ticket_token = None


def tell_event_cancelled(event: Event, now: datetime) -> int:
    """The organizers cancelled the event: each guest holding a ticket who has an address is
    told, as their host is (services/calendar/invites.send_cancellation). One query."""
    held = _ticket_holders_with_address(event)
    for guest, rsvp in held:
        _send_cancelled(guest, rsvp, now, event_cancelled=True)
    return len(held)


def tell_event_moved(event: Event, before: dict[str, object], now: datetime) -> int:
    """The organizers moved the event (time or place; `before` holds the old values): each
    guest holding a ticket who has an address is told what changed, with the updated
    calendar file, as their host is (invites.send_update). One query."""
    if not invites.moved(event, before, now):
        return 0
    changes = invites.ChangesAsRead(event, before)
    subject = invites.update_subject(event, before)
    held = _ticket_holders_with_address(event)
    for guest, rsvp in held:
        mail.queue(
            guest.email,
            "event_updated",
            subject,
            context={
                "event": event,
                "recipient_name": guest.name,
                "host_name": rsvp.user.display_name,
                "event_link": event_url(event.key),
                "ticket_link": ticket_url(guest.ticket_token),
                "address_shown": True,
                "changes": changes,
            },
            ics=calendar.event_file(event, ticket_token=guest.ticket_token).decode(),
            ics_method="PUBLISH",
            group_id=event.group_id,
            now=now,
        )
    return len(held)


def _ticket_holders_with_address(event: Event) -> list[tuple[RsvpGuest, Rsvp]]:
    """The guests of `event` holding a ticket who have an email, with their host's RSVP."""
    return list(
        db.session.execute(
            select(RsvpGuest, Rsvp)
            .join(Rsvp, Rsvp.id == RsvpGuest.rsvp_id)
            .where(
                RsvpGuest.event_id == event.id,
                *RsvpGuest.with_ticket_and_address(),
            )
            .order_by(RsvpGuest.id)
        ).all()
    )


def _send_cancelled(
    guest: RsvpGuest, rsvp: Rsvp, now: datetime, *, event_cancelled: bool = False
) -> None:
    event = rsvp.event
    if event_cancelled:
        subject = _l("Cancelled: %(title)s", title=event.title)
    else:
        subject = _l("Your ticket is cancelled: %(title)s", title=event.title)
    mail.queue(
        guest.email,
        "guest_cancelled",
        subject,
        context={
            "event": event,
            "host_name": rsvp.user.display_name,
            "recipient_name": guest.name,
            "event_link": event_url(event.key),
            "event_cancelled": event_cancelled,
        },
        group_id=event.group_id,
        now=now,
    )


def send_ticket(guest: RsvpGuest, rsvp: Rsvp, now: datetime) -> None:
    """Email a guest with an address their ticket (its QR code inline), the event's calendar
    file and their introductions consent link, in the outbox of this transaction."""
    if not guest.email or not guest.ticket_token:
        return
    event = rsvp.event
    if guest.consent_token is None:
        guest.consent_token = new_token()
    link = ticket_url(guest.ticket_token)
    mail.queue(
        guest.email,
        "guest_ticket",
        _l("Your ticket: %(title)s", title=event.title),
        context={
            "event": event,
            "host_name": rsvp.user.display_name,
            "recipient_name": guest.name,  # "Hi Bo," (an address alone carries no name)
            "ticket_link": link,
            "event_link": event_url(event.key),
            "consent_link": absolute_url("guests.consent", token=guest.consent_token),
            "qr_cid": mail.QR_CID,
        },
        ics=calendar.event_file(event, ticket_token=guest.ticket_token).decode(),
        ics_method="PUBLISH",
        qr_url=link,
        # A ticket given once the reminder is due stands for the reminder too (reminders.py).
        dedupe_key=reminders.guest_covered_by(event, guest.id, now),
        group_id=event.group_id,
        now=now,
    )


# ------------------------------------------------------------------ the guest's own links


def find_by_ticket(token: str | None) -> RsvpGuest | None:
    """The guest holding this ticket token (any event), its secret compared in constant time."""
    if not tickets.is_token_shaped(token):
        return None
    guest = db.session.scalar(select(RsvpGuest).where(RsvpGuest.ticket_token == token))
    return guest if guest is not None and same(guest.ticket_token, token) else None


def is_valid(guest: RsvpGuest) -> bool:
    """A guest's ticket gets in while their host's RSVP is going."""
    return guest.ticket_token is not None and guest.rsvp.status == "going"


def consent_until(event: Event) -> datetime:
    """Until when a guest's consent link works: introductions are made after that."""
    return event.ends_at + timedelta(hours=event.intros_delay_hours)


def find_by_consent(token: str | None, now: datetime | None = None) -> RsvpGuest:
    """The guest of a consent link: `guest_link_invalid` for no such link,
    `guest_link_expired` once the event's introductions are under way (or it was cancelled)."""
    now = now or utcnow()
    guest = None
    if tickets.is_token_shaped(token):
        guest = db.session.scalar(select(RsvpGuest).where(RsvpGuest.consent_token == token))
    if guest is None or not same(guest.consent_token, token):
        raise DomainError("guest_link_invalid")
    event = guest.rsvp.event
    if now >= consent_until(event) or event.cancelled_at is not None:
        raise DomainError("guest_link_expired")
    return guest


def save_consent(
    guest: RsvpGuest, *, looking_for: str, can_offer: str, wants_intros: bool, now: datetime
) -> RsvpGuest:
    """What a guest tells the event about themselves, and whether they want introductions.
    A yes gives them an account by their email (introductions are between accounts; it
    makes them a member of nothing), so they can be introduced as anyone who came."""
    guest.looking_for = looking_for.strip()[:1000]
    guest.can_offer = can_offer.strip()[:1000]
    guest.intro_consent_at = now if wants_intros else None
    if wants_intros and guest.email and guest.user_id is None:
        guest.user_id = accounts.get_or_create(guest.email, guest.name, now=now).id
    db.session.flush()
    return guest


@dataclass(frozen=True)
class IntroAnswers:
    """A guest's answers as services/intros reads an RSVP's."""

    event: Event
    looking_for: str
    can_offer: str
    checked_in_at: datetime | None
    wants_intros: bool = True
    intents: dict | None = None


def intro_attendees(event: Event) -> list[tuple[IntroAnswers, User]]:
    """The guests who came (checked in with their party going) and said yes to introductions
    by their own link, with their accounts. Nobody else among guests is ever introduced."""
    rows = db.session.execute(
        select(RsvpGuest, User)
        .join(User, User.id == RsvpGuest.user_id)
        .where(
            RsvpGuest.event_id == event.id,
            RsvpGuest.checked_in_at.is_not(None),
            RsvpGuest.ticket_token.is_not(None),  # the party is going
            RsvpGuest.intro_consent_at.is_not(None),
        )
        .order_by(User.id)
    )
    return [
        (IntroAnswers(event, g.looking_for, g.can_offer, g.checked_in_at), user) for g, user in rows
    ]
