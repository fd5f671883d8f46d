"""Named plus-ones: the host's page for their guests (add, rename, remove) and a guest's own
introductions link (services/events/guests.py, parties.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ...error_messages import message_for, register_messages
from ...extensions import db
from ...forms.base import ButtonForm
from ...forms.guests import GuestForm, GuestIntrosForm
from ...models import Event, Rsvp, utcnow
from ...services.errors import DomainError
from ...services.events import guests as guests_service
from ...services.events import parties
from ...services.events import seats as rsvp_seats
from .. import access

bp = Blueprint("guests", __name__)

register_messages(
    {
        "too_many_guests": (400, _l("That is more guests than this event allows per person.")),
        "guest_name_required": (400, _l("Please give each guest's name.")),
        "guest_not_found": (404, _l("That guest isn't in your party.")),
        "guest_no_seat": (
            409,
            _l(
                "The event is full, so this guest can't be added. You keep your seat; if a "
                "seat frees up, try again."
            ),
        ),
        "not_attending": (409, _l("Only someone going or on the waitlist can bring guests.")),
        "guest_link_invalid": (404, _l("This link isn't valid. Use the one in your ticket email.")),
        "guest_link_expired": (
            410,
            _l("This event's introductions are under way: this link no longer works."),
        ),
    }
)


def _my_party(event_key: str) -> tuple[Event, Rsvp]:
    """The event and the signed-in host's RSVP; the unknown key's 404 for anyone who may not
    see the event, and for whoever has no RSVP there."""
    event = access.visible_event_or_404(event_key)
    rsvp = db.session.scalar(
        select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.user_id == current_user.id)
    )
    if rsvp is None:
        access.event_not_found()
    return event, rsvp


def _page(event: Event, rsvp: Rsvp, form: GuestForm | None = None, status: int = 200):
    now = utcnow()
    closed = rsvp_seats.list_closed(event, now)
    deadline_passed = event.rsvp_deadline is not None and now >= event.rsvp_deadline
    guests = guests_service.of(rsvp)
    edit_forms = {
        g.id: GuestForm(formdata=None, prefix=f"g{g.id}", name=g.name, email=g.email or "")
        for g in guests
    }
    return render_template(
        "events/guests.html",
        event=event,
        rsvp=rsvp,
        guests=guests,
        edit_forms=edit_forms,
        add_form=form or GuestForm(formdata=None, prefix="add"),
        button_form=ButtonForm(),
        active=rsvp.status in rsvp_seats.ACTIVE and not closed,
        can_add=rsvp.status in rsvp_seats.ACTIVE
        and not closed
        and not deadline_passed
        and len(guests) < event.max_guests,
        can_edit=not closed and not deadline_passed,
    ), status


@bp.get("/e/<event_key>/guests")
@login_required
def index(event_key: str):
    return _page(*_my_party(event_key))


@bp.post("/e/<event_key>/guests/add")
@login_required
def add(event_key: str):
    event, rsvp = _my_party(event_key)
    form = GuestForm(prefix="add")
    if not form.validate():
        return _page(event, rsvp, form, 400)
    try:
        guest = parties.add_guest(event, rsvp, form.guest())
    except DomainError as err:
        db.session.rollback()
        status, message = message_for(err.code)
        form.form_errors.append(message)
        return _page(event, db.session.get(Rsvp, rsvp.id), form, status)
    name, seated = guest.name, rsvp.status == "going"
    db.session.commit()
    if seated:
        flash(_("%(name)s is coming with you. Their ticket is ready.", name=name), "success")
    else:
        flash(_("%(name)s waits with you: your party is seated together.", name=name), "success")
    return redirect(url_for(".index", event_key=event.key), 303)


@bp.post("/e/<event_key>/guests/<id:guest_id>/edit")
@login_required
def edit(event_key: str, guest_id: int):
    event, rsvp = _my_party(event_key)
    form = GuestForm(prefix=f"g{guest_id}")
    if not form.validate():
        raise DomainError("guest_name_required" if not form.name.data else "invalid_email")
    parties.rename_guest(event, rsvp, guest_id, form.guest())
    db.session.commit()
    flash(_("Guest saved."), "success")
    return redirect(url_for(".index", event_key=event.key), 303)


@bp.post("/e/<event_key>/guests/<id:guest_id>/remove")
@login_required
def remove(event_key: str, guest_id: int):
    event, rsvp = _my_party(event_key)
    if not ButtonForm().validate():
        abort(400)
    parties.remove_guest(event, rsvp, guest_id)
    db.session.commit()
    flash(_("Guest removed: their seat went back to the event."), "success")
    return redirect(url_for(".index", event_key=event.key), 303)


# ------------------------------------------------------------------ the guest's own link


@bp.route("/guest/<token>/intros", methods=["GET", "POST"])
def consent(token: str):
    """A guest's introductions link (in their ticket email): what they look for and offer,
    and yes or no to introductions. No sign-in: the link is the key."""
    guest = guests_service.find_by_consent(token)
    event = guest.rsvp.event
    if request.method == "GET":
        form = GuestIntrosForm(
            formdata=None,
            looking_for=guest.looking_for,
            can_offer=guest.can_offer,
            wants_intros=guest.intro_consent_at is not None,
        )
        return _consent_page(guest, event, form)
    form = GuestIntrosForm()
    if not form.validate():
        return _consent_page(guest, event, form, 400)
    guests_service.save_consent(
        guest,
        looking_for=form.looking_for.data or "",
        can_offer=form.can_offer.data or "",
        wants_intros=bool(form.wants_intros.data),
        now=utcnow(),
    )
    db.session.commit()
    if form.wants_intros.data:
        flash(_("Thanks! After the event we may introduce you to a few people."), "success")
    else:
        flash(_("Saved. You won't be introduced to anyone."), "success")
    return redirect(url_for(".consent", token=token), 303)


def _consent_page(guest, event: Event, form: GuestIntrosForm, status: int = 200):
    resp = render_template("events/guest_intros.html", guest=guest, event=event, form=form)
    return resp, status, {"X-Robots-Tag": "noindex, nofollow", "Cache-Control": "no-store"}
