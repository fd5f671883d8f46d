"""RSVP emails: THE one place an RSVP state change becomes an email (notify), and the
worker's writer of those emails (write_notice, registered in worker/notices.py).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Rsvp, utcnow
from ...urls import absolute_url, event_url, ticket_url
from ..calendar import invites
from ..mail import messages as mail
from ..mail import reminders
from . import leave_links, rows, seats

NOTICE = "rsvp"  # the outbox notice type (worker/notices.py)


SUBJECTS = {
    "going": lambda t: _l("You're going: %(title)s", title=t),
    "added": lambda t: _l("You're on the list: %(title)s", title=t),
    "waitlisted": lambda t: _l("You're on the waitlist: %(title)s", title=t),
    "promoted": lambda t: _l("A seat opened up for you: %(title)s", title=t),
    "cancelled": lambda t: _l("RSVP cancelled: %(title)s", title=t),
    "removed": lambda t: _l("You're no longer on the list: %(title)s", title=t),
    "claim_expired": lambda t: _l("Your held seat was released: %(title)s", title=t),
}


def notify(
    rsvp: Rsvp,
    kind: str,
    now: datetime | None = None,
    *,
    had_seat: bool = True,
    handed_on: bool = False,
) -> None:
    """THE one place an RSVP state change becomes an email (templates/email/rsvp_<kind>.*).

    kind: "going" (confirmation, with the ticket link), "added" (the same, for someone an
    organizer put on the list), "waitlisted" (with the position),
    "promoted" (ticket link, and the claim link when a claim window applies), "cancelled"
    (they said Can't go after going or waiting), "removed" (by an organizer),
    "claim_expired" (a held seat passed on). Called after the change is flushed, so
    `rsvp` shows the new state (status, ticket_token, claim_expires_at); a new row whose id
    was drawn under the lock (PostgreSQL) is written here, with its notice, in one statement.

    Only the notice is queued here, with what was true at this moment (the ticket, the
    held-until time, the invite's SEQUENCE); the worker writes the email when it first sends
    it (write_notice), so the event's lock is never held for templates.

    Calendar invites come with it (services/calendar/invites.py): REQUEST when the person now holds
    a seat (going/promoted); CANCEL when they lost it (cancelled/removed/claim_expired);
    waitlisted people get none, and leaving the waitlist (`had_seat` False) cancels nothing:
    their calendar holds no invite, and a CANCEL would show the event itself as cancelled.
    `handed_on`: the seat they gave up went to someone on the waitlist (cancelled,
    claim_expired), so the email says so only when it is true.
    """
    row = _notice(rsvp, kind, now, had_seat=had_seat, handed_on=handed_on)
    if not rows.save_with_notice(rsvp, row):
        mail.queue_notice(row)


def _notice(
    rsvp: Rsvp,
    kind: str,
    now: datetime | None = None,
    *,
    had_seat: bool = True,
    handed_on: bool = False,
) -> dict[str, object]:
    """The outbox row of notify()'s notice."""
    event = rsvp.event
    notice = {
        "type": NOTICE,
        "kind": kind,
        "rsvp_id": rsvp.id,
        "ticket_token": rsvp.ticket_token,
        "claim_until": rsvp.claim_expires_at.isoformat() if rsvp.claim_expires_at else None,
        "had_seat": had_seat,
        "handed_on": handed_on,
        **invites.for_notice(rsvp, kind, had_seat=had_seat),
    }
    subject = SUBJECTS[kind](event.title)
    # A seat given once the reminder is due: this confirmation is the reminder too.
    dedupe_key = None
    if notice.get("invite") == "REQUEST":
        dedupe_key = reminders.covered_by(event, rsvp.user_id, now or utcnow())
    return mail.notice_row(
        rsvp.user, subject, notice, group_id=event.group_id, now=now, dedupe_key=dedupe_key
    )


def write_notice(notice: dict, *, to_name: str, subject: str) -> mail.Written | None:
    """The email of a notice queued by notify(); None if its RSVP no longer exists.

    The event is shown as it is now (an edit in between is reflected) and the waitlist
    position is counted now (people ahead may have left since).
    """
    rsvp = db.session.get(
        Rsvp, notice["rsvp_id"], options=[joinedload(Rsvp.event), joinedload(Rsvp.user)]
    )
    if rsvp is None:
        return None
    event, token, kind = rsvp.event, notice.get("ticket_token"), notice["kind"]
    ticket_link = ticket_url(token) if token else None
    claim_until = notice.get("claim_until")
    claim_until = datetime.fromisoformat(claim_until) if claim_until else None
    context = {
        "event": event,
        "kind": kind,
        "had_seat": notice.get("had_seat", True),
        "handed_on": notice.get("handed_on", False),
        "event_link": event_url(event.key),
        "ticket_link": ticket_link,
        "qr_cid": mail.QR_CID if ticket_link else None,
        "claim_until": claim_until,
        "claim_link": (
            absolute_url("rsvp.claim", event_key=event.key, ticket_token=token)
            if claim_until and token
            else None
        ),
        "position": seats.waitlist_position(rsvp) if kind == "waitlisted" else None,
        "address_shown": rsvp.status == "going",  # an address kept for seats (hide_address)
        "leave_link": (
            absolute_url("rsvp.leave", token=leave_links.leave_token(rsvp))
            if kind == "waitlisted" and rsvp.status == "waitlisted"
            else None
        ),
    }
    body_text, body_html = mail.render_bodies(to_name, f"rsvp_{kind}", subject, context)
    invite = invites.write_for_notice(notice, event, rsvp.user)
    return mail.Written(
        body_text, body_html, invite.get("ics"), invite.get("ics_method"), qr_url=ticket_link
    )
