"""The organizer's attendee list: capacity, add by hand, remove and put back, seat from the
waitlist, CSV export (services/events/attendees.py)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required

from ...error_messages import message_for
from ...extensions import db
from ...forms.base import ButtonForm
from ...forms.events import AddForm, CapacityForm, PromoteForm
from ...models import Event, utcnow
from ...services.errors import DomainError
from ...services.events import answers as rsvp_answers
from ...services.events import attendees as attendee_list
from ...services.events import seats as rsvp_seats
from .. import access

bp = Blueprint("attendees", __name__)


@bp.get("/e/<event_key>/attendees")
@login_required
def index(event_key: str):
    return _attendees_page(access.event_for_organizer(event_key))


def _attendees_page(event: Event, add_form: AddForm | None = None, status: int = 200):
    roster = attendee_list.roster(event)
    now = utcnow()
    return render_template(
        "events/attendees.html",
        event=event,
        roster=roster,
        started=rsvp_seats.list_closed(event, now),
        ended=event.has_ended(now),
        open_links=rsvp_answers.open_links(roster.pending, now),
        undelivered=attendee_list.undelivered(event, roster),
        capacity_form=CapacityForm(capacity=event.capacity),
        button_form=ButtonForm(),
        promote_form=PromoteForm(),
        add_form=add_form or AddForm(formdata=None, prefix="add"),
    ), status


@bp.post("/e/<event_key>/attendees/add")
@login_required
def add(event_key: str):
    """An organizer puts someone on the list by hand. A refusal (full, already going...)
    comes back on the page with what was typed, not on an error page."""
    event = access.event_for_organizer(event_key)
    form = AddForm(prefix="add")
    if not form.validate():
        return _attendees_page(event, form, 400)
    try:
        rsvp = attendee_list.add(
            event, form.email.data, form.name.data, override=bool(form.override.data)
        )
    except DomainError as err:
        db.session.rollback()
        status, message = message_for(err.code)
        form.form_errors.append(message)
        return _attendees_page(event, form, status)
    name = rsvp.user.display_name
    db.session.commit()
    flash(_("%(name)s has a seat; their ticket is on its way by email.", name=name), "success")
    return redirect(url_for(".index", event_key=event.key), 303)


@bp.post("/e/<event_key>/attendees/capacity")
@login_required
def set_capacity(event_key: str):
    event = access.event_for_organizer(event_key)
    form = CapacityForm()
    if not form.validate():
        raise DomainError("invalid_capacity")
    promoted = attendee_list.set_capacity(event, form.capacity.data)
    db.session.commit()
    flash(_("Capacity saved. Promoted from the waitlist: %(n)s.", n=len(promoted)), "success")
    return redirect(url_for(".index", event_key=event.key), 303)


@bp.route("/e/<event_key>/attendees/<id:rsvp_id>/remove", methods=["GET", "POST"])
@login_required
def remove(event_key: str, rsvp_id: int):
    """GET asks first: a removed person is emailed at once and can't answer again by
    themselves, so one mis-tap in the list must not do it."""
    event = access.event_for_organizer(event_key)
    form = ButtonForm()
    if request.method == "GET":
        rsvp = rsvp_seats.get_for_event(event, rsvp_id)
        closed = rsvp_seats.list_closed(event, utcnow())
        return render_template(
            "events/attendee_remove.html", event=event, rsvp=rsvp, form=form, closed=closed
        )
    if not form.validate():
        abort(400)
    rsvp, promoted = attendee_list.remove(event, rsvp_id)
    name = rsvp.user.display_name
    db.session.commit()
    if promoted:
        message = _(
            "%(name)s was removed; %(next)s, next in line, got the seat.",
            name=name,
            next=promoted[0].user.display_name,
        )
    else:
        message = _("%(name)s was removed.", name=name)
    flash(message, "success")
    return redirect(url_for(".index", event_key=event.key), 303)


@bp.post("/e/<event_key>/attendees/<id:rsvp_id>/reinstate")
@login_required
def reinstate(event_key: str, rsvp_id: int):
    event = access.event_for_organizer(event_key)
    if not ButtonForm().validate():
        abort(400)
    rsvp = attendee_list.reinstate(event, rsvp_id)
    name = rsvp.user.display_name
    db.session.commit()
    if rsvp.status == "going":
        flash(_("%(name)s is back on the list, with a seat.", name=name), "success")
    else:
        flash(_("%(name)s is back on the waitlist, at their place in line.", name=name), "success")
    return redirect(url_for(".index", event_key=event.key), 303)


@bp.post("/e/<event_key>/attendees/<id:rsvp_id>/promote")
@login_required
def promote(event_key: str, rsvp_id: int):
    event = access.event_for_organizer(event_key)
    form = PromoteForm()
    if not form.validate():
        abort(400)
    rsvp = attendee_list.promote(event, rsvp_id, override=bool(form.override.data))
    name = rsvp.user.display_name
    db.session.commit()
    flash(_("%(name)s now has a seat.", name=name), "success")
    return redirect(url_for(".index", event_key=event.key), 303)


@bp.get("/e/<event_key>/attendees.csv")
@login_required
def export(event_key: str):
    event = access.event_for_organizer(event_key)
    body = attendee_list.to_csv(event, attendee_list.roster(event))
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="attendees-{event.key}.csv"',
            "Cache-Control": "no-store",
        },
    )
