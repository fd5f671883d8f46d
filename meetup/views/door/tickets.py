"""The attendee's ticket: `/t/<token>` (no sign-in) and its QR image."""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from ... import qr_codes
from ...extensions import db
from ...models import utcnow
from ...services.door import tickets
from ...services.events import answers, seats
from ...services.events import guests as guests_service
from ...templating import page_for
from ...urls import ticket_url
from ..events.rsvp import after_leaving
from .offline import service_worker_url

bp = Blueprint("tickets", __name__)

QR_MAX_AGE = 365 * 24 * 3600


@bp.get("/t/<ticket_token>")
def show(ticket_token: str):
    rsvp = tickets.find(ticket_token)
    if rsvp is None:
        return _guest_ticket(ticket_token)  # a named guest's own ticket, or 404
    event = rsvp.event
    page_for(rsvp.user, event.group)
    valid, ended = tickets.is_valid(rsvp), event.has_ended()
    # A cancelled or finished event's ticket is a keepsake: no code to show, no calendar
    # entry to add.
    shows_code = valid and not ended and event.cancelled_at is None
    party = [g for g in guests_service.of(rsvp) if g.ticket_token] if shows_code else []
    resp = make_response(
        render_template(
            "door/ticket.html",
            rsvp=rsvp,
            event=event,
            my_rsvp=rsvp,
            valid=valid,
            ended=ended,
            closed=seats.list_closed(event, utcnow()),
            url=ticket_url(ticket_token),
            guests=party,
            offline_worker=service_worker_url(
                _offline_files(ticket_token, shows_code, [g.ticket_token for g in party])
            ),
        )
    )
    # The URL is the ticket: keep it out of search engines and shared caches.
    resp.headers["X-Robots-Tag"] = "noindex, nofollow"
    resp.headers["Cache-Control"] = "private, no-store"  # offline, the page's worker keeps it
    return resp


def _offline_files(ticket_token: str, shows_code: bool, guests: list[str] = ()) -> list[str]:
    """What the ticket page needs with no network, besides itself (with its guests' codes)."""
    files = [
        url_for("static", filename=name)
        for name in ("vendor/pico/pico.min.css", "css/app.css", "js/once.js", "js/ticket.js")
    ]
    if shows_code:
        for token in (ticket_token, *guests):
            files.append(url_for("tickets.qr", ticket_token=token))
    return files


def _guest_ticket(ticket_token: str):
    """A named guest's ticket (services/events/guests.py): their name, "guest of" their host,
    their own QR code while the party holds its seats."""
    guest = guests_service.find_by_ticket(ticket_token) or abort(404)
    rsvp, event = guest.rsvp, guest.rsvp.event
    valid, ended = guests_service.is_valid(guest), event.has_ended()
    shows_code = valid and not ended and event.cancelled_at is None
    resp = make_response(
        render_template(
            "door/guest_ticket.html",
            guest=guest,
            host=rsvp.user,
            event=event,
            valid=valid,
            ended=ended,
            shows_code=shows_code,
            offline_worker=service_worker_url(_offline_files(ticket_token, shows_code)),
        )
    )
    resp.headers["X-Robots-Tag"] = "noindex, nofollow"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/t/<ticket_token>/qr.svg")
def qr(ticket_token: str):
    rsvp = tickets.find(ticket_token)
    if rsvp is None:
        guest = guests_service.find_by_ticket(ticket_token)
        if guest is None or not guests_service.is_valid(guest):
            abort(404)
    elif not tickets.is_valid(rsvp):
        abort(404)
    url = ticket_url(ticket_token)
    resp = make_response(qr_codes.qr_svg(url))
    resp.mimetype = "image/svg+xml"
    # The image depends only on the URL, which never changes for a ticket.
    resp.set_etag(hashlib.sha256(url.encode()).hexdigest()[:32])
    resp.headers["Cache-Control"] = f"private, max-age={QR_MAX_AGE}, immutable"
    resp.headers["X-Robots-Tag"] = "noindex, nofollow"
    return resp.make_conditional(request)


@bp.post("/t/<ticket_token>/give-up")
def give_up(ticket_token: str):
    """The ticket holder can't come after all: the seat goes to the next in line at once.

    The ticket is the proof, as at the door: no sign-in, which is what kept people who
    couldn't come from saying so. CSRFProtect has checked the form's token.
    """
    rsvp = tickets.find(ticket_token)
    if rsvp is None or not tickets.is_valid(rsvp):
        abort(404)
    event = rsvp.event
    answers.answer(event, rsvp.user, False)  # emails them, promotes whoever waits
    db.session.commit()
    flash(
        _(
            "You gave up your seat at %(title)s. Thanks for letting us know: it is free for "
            "someone else now.",
            title=event.title,
        ),
        "success",
    )
    return after_leaving(event)
