"""An organizer writes to the people of an event: `/e/<event_key>/message`."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from ...error_messages import message_for, register_messages
from ...extensions import db, limiter
from ...forms.mail import MessageForm
from ...models import Event
from ...services.errors import DomainError
from ...services.mail import attendee_email as announcements
from .. import access

bp = Blueprint("attendee_email", __name__)

register_messages(
    {
        "bad_audience": (400, _l("Choose who to write to.")),
        "announcement_invalid": (400, _l("Write a subject and a message.")),
        "nobody_to_write_to": (409, _l("Nobody is in that list yet: there is no one to write to.")),
    }
)

_AUDIENCE_LABELS = {
    "going": _l("People going"),
    "everyone": _l("People going and on the waitlist"),
    "came": _l("People who came"),  # checked in at the door
}


def _audience_label(label: str, people: int, guests: int) -> str:
    """ "People going (12)", and the named guests with an email it reaches too, if any."""
    if not guests:
        return f"{label} ({people})"
    return f"{label} ({people}) " + ngettext(
        "and their %(num)d guest", "and their %(num)d guests", guests
    )


def _send(event: Event, form: MessageForm) -> announcements.Sent:
    def once() -> announcements.Sent:
        return announcements.send(
            event,
            current_user,
            audience=form.audience.data,
            subject=form.subject.data,
            body=form.body.data,
            form_key=form.form_key.data,
        )

    try:
        return once()
    except IntegrityError:  # the same form sent twice at once: the other's rows are in now
        db.session.rollback()
        return once()


@bp.route("/e/<event_key>/message", methods=["GET", "POST"])
@login_required
@limiter.limit("30/hour", methods=["POST"])
def write(event_key: str):
    event = access.event_for_organizer(event_key)
    counts = announcements.counts(event)
    guests = announcements.guest_counts(event)
    form = MessageForm()
    # Offered when it reaches someone the first choice doesn't.
    offered = {
        "going": True,
        "everyone": counts["everyone"] > counts["going"],
        "came": counts["came"] + guests["came"] > 0,
    }
    form.audience.choices = [
        (name, _audience_label(label, counts[name], guests[name]))
        for name, label in _AUDIENCE_LABELS.items()
        if offered[name]
    ]
    status = 200
    if request.method == "GET":
        form.form_key.data = announcements.new_form_key()
    elif not form.validate():
        status = 400
    else:
        try:
            sent = _send(event, form)
        except DomainError as err:
            db.session.rollback()
            status, message = message_for(err.code)
            form.form_errors.append(message)
        else:
            db.session.commit()
            flash(_sent_message(sent), "success")
            return redirect(url_for("attendees.index", event_key=event.key), 303)
    return render_template("mail/attendee_email.html", event=event, form=form), status


def _sent_message(sent: announcements.Sent) -> str:
    if not sent.queued:
        return ngettext(
            "This message was already sent, to %(num)d person: nothing was sent again.",
            "This message was already sent, to %(num)d people: nothing was sent again.",
            sent.already,
        )
    return ngettext(
        "Your message is on its way to %(num)d person.",
        "Your message is on its way to %(num)d people.",
        sent.queued,
    )
