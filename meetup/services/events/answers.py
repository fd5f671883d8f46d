"""Answers: a person says Going or Can't go (or edits what they tell the event), signed in,
or signed out with an emailed link that confirms it.

Place in line is `requested_at`. It is read from the clock *after* the lock is taken, so it
follows the order in which requests were serialised: arrival order. Someone signed out holds
their place from the moment they asked (a `pending` row, or the time carried by the magic
link) and is placed when the link is used.

Decisions (docs/rsvps.md):
- RSVPing to a public event does not make you a group member: membership opens members-only
  events and the member list, which one RSVP doesn't consent to. Invite links do that.
- After `rsvp_deadline` nobody new may say Going (or join the waitlist); saying "Can't go" and
  editing answers stay open, and the waitlist keeps moving until the event starts.
- Once the event has started, or if it is cancelled, nothing changes.
- Someone removed by an organizer can't RSVP again by themselves.
- On an event whose organizer approves each RSVP, Going makes a request, which holds no seat
  (services/events/approval.py); the rest of these rules apply to it as to any answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import Event, LoginToken, Rsvp, User, utcnow
from ...urls import absolute_url, event_url
from ..accounts import magic_links
from ..accounts import users as accounts
from ..channels import labels
from ..errors import DomainError
from ..mail import messages as mail
from ..permissions import is_member
from ..tokens import hash_token
from . import guests as guests_service
from . import leave_links, notices, questions, rows, seats, waitlist
from .locking import lock_event

LINK_PURPOSE = "rsvp"


MAX_ANSWER = 1000  # characters of "looking for" / "can offer"


@dataclass
class Answers:
    """What someone tells this event about themselves; None keeps what is there."""

    looking_for: str | None = None
    can_offer: str | None = None
    wants_intros: bool | None = None
    save_to_profile: bool = False
    # The intent chips as answered (services/intros/chips.py); None: not shown, keep them
    intents: dict | None = None
    # The channel whose link brought them (`?via=`), kept on the RSVP if it has none yet
    channel: str | None = None
    # Listed among who's going (name and headline, to other members); None keeps it
    listed: bool | None = None
    # Named guests brought along (services/events/guests.py), seated or waiting with the
    # person; None keeps the party as it is. Read only when they join.
    guests: list[guests_service.GuestInput] | None = None
    # Answers to the event's questions, cleaned (services/events/questions.py); None keeps them
    questions: dict | None = None

    def as_payload(self) -> dict:
        return {
            "looking_for": self.looking_for,
            "can_offer": self.can_offer,
            "wants_intros": self.wants_intros,
            "save_to_profile": self.save_to_profile,
            "intents": self.intents,
            "channel": self.channel,
            "listed": self.listed,
            "guests": None if self.guests is None else [g.as_payload() for g in self.guests],
            "questions": self.questions,
        }

    @classmethod
    def from_payload(cls, payload: dict) -> Answers:
        return cls(
            looking_for=payload.get("looking_for"),
            can_offer=payload.get("can_offer"),
            wants_intros=payload.get("wants_intros"),
            save_to_profile=bool(payload.get("save_to_profile")),
            intents=payload.get("intents"),
            channel=labels.clean(payload.get("channel")),
            listed=payload.get("listed") if isinstance(payload.get("listed"), bool) else None,
            guests=_guests_of_payload(payload.get("guests")),
            questions=payload["questions"] if isinstance(payload.get("questions"), dict) else None,
        )


def _guests_of_payload(items: object) -> list[guests_service.GuestInput] | None:
    if not isinstance(items, list):
        return None
    return [g for g in map(guests_service.GuestInput.from_payload, items) if g is not None]


def _ensure_can_join(member: bool, state: seats.Seats, now: datetime) -> None:
    if state.rsvp_deadline is not None and now >= state.rsvp_deadline:
        raise DomainError("rsvp_closed")
    if not member:
        raise DomainError("members_only")


def _clean(text: str | None) -> str | None:
    return None if text is None else text.strip()[:MAX_ANSWER]


def _apply_answers(rsvp: Rsvp, user: User, answers: Answers) -> None:
    looking_for, can_offer = _clean(answers.looking_for), _clean(answers.can_offer)
    if looking_for is not None:
        rsvp.looking_for = looking_for
    if can_offer is not None:
        rsvp.can_offer = can_offer
    if answers.wants_intros is not None:
        rsvp.wants_intros = answers.wants_intros
    if answers.intents is not None:
        rsvp.intents = answers.intents
    if answers.listed is not None:
        rsvp.listed = answers.listed
    if rsvp.channel is None and answers.channel is not None:
        rsvp.channel = labels.clean(answers.channel)  # the first channel only
    if answers.save_to_profile:
        user.looking_for = rsvp.looking_for
        user.can_offer = rsvp.can_offer
        user.wants_intros = rsvp.wants_intros
        if rsvp.intents is not None:
            user.looking_intents = list(rsvp.intents["looking"])
            user.offer_intents = list(rsvp.intents["offer"])
            user.declined_intents = list(rsvp.intents["declined"])


def _pending_is_fresh(rsvp: Rsvp, now: datetime) -> bool:
    """A pending row holds its place only while the link that made it could still be used."""
    minutes = current_app.config["MAGIC_LINK_MINUTES"]
    return rsvp.status == "pending" and rsvp.requested_at >= now - timedelta(minutes=minutes)


def open_links(pending: list[Rsvp], now: datetime) -> dict[int, datetime]:
    """Until when the newest unused confirmation link emailed for each pending RSVP works,
    by RSVP id; none for those whose links have all expired (one query). While one works it
    holds their place: asking again within that time renews the link, not the place."""
    ids = {rsvp.id for rsvp in pending}
    if not ids:
        return {}
    rows = db.session.execute(
        select(LoginToken.payload, LoginToken.expires_at).where(
            LoginToken.purpose == LINK_PURPOSE,
            LoginToken.email.in_({rsvp.user.email for rsvp in pending}),
            LoginToken.used_at.is_(None),
            LoginToken.expires_at > now,
        )
    )
    until: dict[int, datetime] = {}
    for payload, expires_at in rows:
        rsvp_id = (payload or {}).get("rsvp_id")
        if rsvp_id in ids:
            until[rsvp_id] = max(expires_at, until.get(rsvp_id, expires_at))
    return until


def place(rsvp: Rsvp, event: Event, state: seats.Seats, now: datetime) -> Rsvp:
    """Going if a seat is free for the whole party, else the waitlist (ordered by
    requested_at); a party never takes seats while another waits ahead of it, unless the
    organizer lets smaller parties past."""
    if state.seats_party(rsvp.party_size, event):
        rows.seat(rsvp, event, now, claim=False)
    else:
        rows.unseat(rsvp, "waitlisted", now)
    if not rows.drawn_not_written(rsvp):
        rsvp = rows.save(rsvp)
    notices.notify(rsvp, rsvp.status, now)  # the notice kinds "going" and "waitlisted"
    return rsvp


def answer(
    event: Event,
    user: User,
    going: bool,
    answers: Answers | None = None,
    *,
    asked_at: datetime | None = None,
    member: bool | None = None,
    locked: seats.Locked | None = None,
    approved: bool = False,
    now: datetime | None = None,
) -> Rsvp:
    """A signed-in person answers Going or Can't go (or edits their answers).

    Going when already going or waitlisted keeps the place and only updates the answers (so
    repeating the request changes nothing); Going when the seat was offered with a claim
    window claims it. `asked_at` is when a signed-out request was made (from its link).
    `member`: whether `user` is in the event's group, if the caller read it already.
    `locked`: the event's lock, taken in this transaction by the caller's read (with_lock());
    if it is the shared one and the answer would change a seat, seats.NeedsExclusiveLock.
    `approved`: needs nobody's approval (an organizer's own answer) where the event asks it.
    """
    answers = answers or Answers()
    if event.visibility == "public":
        member = True
    elif member is None:  # read before the lock, which guards seats, not memberships
        member = is_member(event.group_id, user)
    get_locale()  # the notice's subject is translated under the lock: its language chosen now
    state, rsvp_id, new_id, shared = locked or seats.lock_seats_and_row(event.id, user.id)
    now = now or utcnow()  # after the lock: requested_at follows arrival order
    seats.ensure_changeable(state, now)
    rsvp = seats.find(event.id, user.id) if rsvp_id is not None else None
    if rsvp is not None and rsvp.status in ("removed", "declined"):
        raise DomainError(f"rsvp_{rsvp.status}")
    joining = going and (rsvp is None or rsvp.status not in seats.HELD)
    if shared and (rsvp is not None or (joining and state.free > 0)):
        raise seats.NeedsExclusiveLock  # before any write: only a new waitlist row may be shared
    # Guest rows are checked whenever sent, though only a new answer places them (someone
    # already going changes their party on the guests page): bad rows are never just dropped.
    party = None if answers.guests is None else guests_service.clean(event, answers.guests)
    if joining:
        _ensure_can_join(member, state, now)
    if rsvp is None:
        rsvp = rows.new_row(event, user, "not_going", now, new_id)
    _apply_answers(rsvp, user, answers)
    if going:
        questions.apply(rsvp, event, answers.questions, joining=joining, now=now)
    rsvp.updated_at = now
    if joining:
        if asked_at is not None:
            rsvp.requested_at = min(asked_at, now)
        elif not _pending_is_fresh(rsvp, now):
            rsvp.requested_at = now
        if party is not None:
            rsvp.party_size = 1 + len(party)  # before placing: the party is placed whole
        if event.requires_approval and not approved:  # a request, until an organizer approves
            rsvp.status = "requested"
            rsvp = rows.save(rsvp)
        else:
            rsvp = place(rsvp, event, state, now)
        if party is not None:
            guests_service.replace_party(rsvp, party, now)
    elif going:
        if rsvp.claim_expires_at is not None:
            rsvp.claim_expires_at = None  # "Yes, I'm coming": the held seat is theirs
        db.session.flush()
    elif rsvp.status in seats.ACTIVE:
        had_seat = rsvp.status == "going"
        rows.unseat(rsvp, "not_going", now)
        if had_seat:
            rsvp.cancelled_at = now  # a seat given up: late when under 24 hours before
        db.session.flush()
        promoted = waitlist.fill_seats(event, now)  # first: the email says where the seat went
        notices.notify(rsvp, "cancelled", now, had_seat=had_seat, handed_on=bool(promoted))
    else:
        rsvp.status = "not_going"
        rsvp = rows.save(rsvp)
    return rsvp


def request_by_email(
    event: Event,
    email: str,
    name: str,
    answers: Answers | None = None,
    *,
    now: datetime | None = None,
) -> tuple[Rsvp, str]:
    """Someone signed out says Going: hold their place and email them a link to confirm.

    A new person gets a `pending` row at once (their place in line starts now). An existing
    row is left as it is (the request isn't authenticated yet); the link carries the moment
    they asked. Returns the row and the raw link token (only the email should carry it).
    """
    answers = answers or Answers()
    now = now or utcnow()
    state = seats.of(event.id)
    seats.ensure_changeable(state, now)
    if state.rsvp_deadline is not None and now >= state.rsvp_deadline:
        raise DomainError("rsvp_closed")
    if event.visibility != "public":
        raise DomainError("members_only_sign_in")
    user = accounts.get_or_create(email, name, now=now)
    rsvp = seats.find(event.id, user.id)
    if rsvp is None:
        rsvp = rows.new_row(event, user, "pending", now)
        _apply_answers(
            rsvp,
            user,
            Answers(
                answers.looking_for,
                answers.can_offer,
                intents=answers.intents,
                channel=answers.channel,
                listed=answers.listed,
            ),
        )
        if answers.wants_intros is not None:
            rsvp.wants_intros = answers.wants_intros
        # Answers to the questions are kept with the pending row, and carried by the link.
        questions.apply(rsvp, event, answers.questions, joining=False, now=now)
        rsvp = rows.save(rsvp)
    elif rsvp.status == "pending" and not _pending_is_fresh(rsvp, now):
        rsvp.requested_at = now  # an old unconfirmed request holds no place
    asked_at = rsvp.requested_at if rsvp.status == "pending" else now
    token = magic_links.issue(
        user.email,
        purpose=LINK_PURPOSE,
        payload={"rsvp_id": rsvp.id, "asked_at": asked_at.isoformat(), **answers.as_payload()},
        now=now,
    )
    waits = joins_waitlist(rsvp, state) and not event.requires_approval
    subject = (
        _l("Confirm you're joining the waitlist: %(title)s", title=event.title)
        if waits
        else _l("Confirm your request: %(title)s", title=event.title)
        if event.requires_approval
        else _l("Confirm your RSVP: %(title)s", title=event.title)
    )
    mail.queue(
        user,
        "rsvp_link",
        subject,
        context={
            "event": event,
            "event_link": event_url(event.key),
            "joins_waitlist": waits,
            "asks_approval": event.requires_approval,
            "link": absolute_url("rsvp.confirm", token=token),
            "minutes": current_app.config["MAGIC_LINK_MINUTES"],
        },
        group_id=event.group_id,
        now=now,
    )
    return rsvp, token


def joins_waitlist(rsvp: Rsvp, state: seats.Seats | None = None) -> bool:
    """Whether confirming this RSVP now would put the person on the waitlist, not in a seat:
    what the link's email and its page promise (a seat may still free up before they tap)."""
    if rsvp.status == "going":
        return False
    if rsvp.status == "waitlisted":
        return True
    return (state or seats.of(rsvp.event_id)).free <= 0


def peek_link(token: str, now: datetime | None = None) -> Rsvp:
    """The RSVP a confirmation link is for, without using the link (for the confirm page)."""
    link = magic_links.peek(token, purpose=LINK_PURPOSE, now=now)
    return _rsvp_of_link(link)


def _rsvp_of_link(link) -> Rsvp:
    rsvp_id = (link.payload or {}).get("rsvp_id")
    rsvp = db.session.get(Rsvp, rsvp_id) if isinstance(rsvp_id, int) else None
    if rsvp is None or rsvp.user.email != link.email:
        raise DomainError("link_invalid")
    return rsvp


def confirm_by_link(token: str, now: datetime | None = None) -> Rsvp:
    """Use a confirmation link: the email is proven, the RSVP is placed (going or waitlisted).

    The caller signs `rsvp.user` in. The link is single use; if placing fails (the event
    started meanwhile...), the transaction is rolled back and the link stays unused.
    """
    link = magic_links.redeem(token, purpose=LINK_PURPOSE, now=now)
    rsvp = _rsvp_of_link(link)
    user = rsvp.user
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now or utcnow()
    try:
        asked_at = datetime.fromisoformat(link.payload["asked_at"])
    except (KeyError, TypeError, ValueError):
        asked_at = None
    return answer(
        rsvp.event, user, True, Answers.from_payload(link.payload), asked_at=asked_at, now=now
    )


PLACED = ("going", "waitlisted", "requested")


def placed_by_used_link(token: str) -> Rsvp | None:
    """For a confirmation link already used: the RSVP it placed, if it still holds a place
    (going or waitlisted) or waits for an organizer's approval. The answer went through even
    when the page saying so was lost (a dropped connection, a server restarted mid-answer):
    on a retry the person is shown
    where they stand rather than "already used". The link signs no one in a second time."""
    link = db.session.scalar(select(LoginToken).where(LoginToken.token_hash == hash_token(token)))
    if link is None or link.purpose != LINK_PURPOSE or link.used_at is None:
        return None
    try:
        rsvp = _rsvp_of_link(link)
    except DomainError:
        return None
    return rsvp if rsvp.status in PLACED else None


def leave_waitlist(token: str, now: datetime | None = None) -> Rsvp:
    """Use a leave link: the person is off the waitlist, as if they had said Can't go.

    Read again under the lock: a seat may have come their way since the page was shown,
    and a leave link must never give up a seat."""
    rsvp = leave_links.waiting_by_leave_token(token)
    lock_event(rsvp.event_id)
    db.session.refresh(rsvp)
    leave_links.waiting_by_leave_token(token)  # the same checks, on the row as committed
    return answer(rsvp.event, rsvp.user, False, now=now)
