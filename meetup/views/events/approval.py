"""Approving RSVP requests: the organizer's list of who asked, with their answers and their
record in the group, approved or declined one at a time or many at once
(services/events/approval.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import login_required

from ...error_messages import register_messages
from ...extensions import db
from ...forms.base import ButtonForm
from ...models import utcnow
from ...services.events import approval
from ...services.events import seats as rsvp_seats
from ...urls import row_id
from .. import access

bp = Blueprint("approval", __name__)

register_messages(
    {
        "rsvp_declined": (
            403,
            _l("The organizer couldn't offer you a place at this event. Please contact them."),
        ),
        "no_request_chosen": (400, _l("Choose at least one request first.")),
        "too_many_requests": (400, _l("That is too many requests at once.")),
    }
)

ACTIONS = ("approve", "decline")


@bp.get("/e/<event_key>/requests")
@login_required
def index(event_key: str):
    event = access.event_for_organizer(event_key)
    now = utcnow()
    return render_template(
        "events/approval.html",
        event=event,
        requests=approval.requests(event, now=now),
        declined=approval.declined(event),
        seats=rsvp_seats.of(event.id),
        closed=rsvp_seats.list_closed(event, now),
        form=ButtonForm(),
    )


def _decision() -> tuple[str, list[int]]:
    """The action and the chosen requests: a card's own button (`one` = "approve:12"), or
    the buttons under the list with the ticked boxes (`ids`)."""
    one = request.form.get("one", "")
    if one:
        action, _sep, rsvp_id = one.partition(":")
        ids = [rsvp_id]
    else:
        action, ids = request.form.get("action", ""), request.form.getlist("ids")
    chosen = [row_id(i) for i in ids]
    if action not in ACTIONS or None in chosen:
        abort(400)
    return action, chosen


@bp.post("/e/<event_key>/requests")
@login_required
def decide(event_key: str):
    event = access.event_for_organizer(event_key)
    if not ButtonForm().validate():
        abort(400)
    action, ids = _decision()
    if action == "approve":
        placed = approval.approve(event, ids)
        going = sum(1 for rsvp in placed if rsvp.status == "going")
        waiting = len(placed) - going
        db.session.commit()
        message = ngettext("%(num)d approved", "%(num)d approved", len(placed))
        if waiting:
            message += " · " + _(
                "%(going)d with a seat, %(waiting)d on the waitlist (it's full)",
                going=going,
                waiting=waiting,
            )
    elif not request.form.get("confirmed"):
        # A decline emails at once: one mis-tap on a phone must not do it, so it asks first.
        chosen = [r.rsvp for r in approval.requests(event) if r.rsvp.id in set(ids)]
        if not chosen:
            flash(_("Those requests were already decided."), "info")
            return redirect(url_for(".index", event_key=event.key), 303)
        return render_template(
            "events/approval_decline.html", event=event, chosen=chosen, form=ButtonForm()
        )
    else:
        declined = approval.decline(event, ids)
        db.session.commit()
        message = ngettext(
            "%(num)d declined: they were told kindly by email.",
            "%(num)d declined: they were told kindly by email.",
            len(declined),
        )
    flash(message, "success")
    return redirect(url_for(".index", event_key=event.key), 303)
