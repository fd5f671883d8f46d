"""Announcing an event by email (organizers), and the one-tap answers in those emails.

The organizer's tap records the announcement and returns at once; the worker queues the
emails and this page shows the progress (it reloads itself while queueing, no script needed).
An answer link only shows one confirm button: a GET never changes anything.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ...error_messages import register_messages
from ...extensions import db, limiter
from ...forms.base import ButtonForm
from ...services.errors import DomainError
from ...services.events import announcements
from ...services.mail import messages as mail
from ...templating import page_for
from ...urls import event_url
from .. import access

bp = Blueprint("announcements", __name__)

register_messages(
    {
        "announcement_kind": (400, _l("This announcement can't be sent for this event now.")),
        "answer_link_invalid": (
            404,
            _l("This link isn't valid any more. Open the event's page to answer there."),
        ),
    }
)

LABELS = {
    "event": _l("Announce the event"),
    "few_seats": _l("Follow-up: a few seats left"),
    "waitlist_open": _l("Follow-up: the waitlist is open"),
}
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _preview(event) -> tuple[str, str]:
    subject = announcements.subject_for(event, "event")
    text, _html = mail.render_bodies(
        current_user.name,
        "event_announcement",
        subject,
        {
            "event": event,
            "group": event.group,
            "kind": "event",
            "event_link": f"{event_url(event.key)}?via=email",
            # Where each person's own link goes, shown in the page's language.
            "going_link": _("[I'm going]"),
            "not_going_link": _("[Can't go]"),
            "unsubscribe_link": _("[Unsubscribe]"),
        },
    )
    return subject, text


@bp.get("/e/<event_key>/announce")
@login_required
def page(event_key: str):
    event = access.event_for_organizer(event_key)
    kinds = announcements.available_kinds(event)
    done = announcements.of_event(event)
    subject, text = _preview(event)
    return (
        render_template(
            "events/announce.html",
            event=event,
            kinds=kinds,
            done=done,
            sizes={k: announcements.audience_size(event, k) for k in kinds if k not in done},
            labels=LABELS,
            refresh=any(row.status == "queueing" for row in done.values()),
            preview_subject=subject,
            preview_text=text,
        ),
        200,
        NO_STORE,
    )


@bp.post("/e/<event_key>/announce")
@login_required
@limiter.limit("30/hour")
def announce(event_key: str):
    event = access.event_for_organizer(event_key)
    announcements.announce(event, current_user, request.form.get("kind", "event"))
    db.session.commit()
    return redirect(url_for(".page", event_key=event.key), 303)


def _answer() -> str:
    answer = request.values.get("answer", "")
    if answer not in announcements.ANSWERS:
        raise DomainError("answer_link_invalid")
    return answer


def _answer_page(link, answer: str, rsvp=None):
    page_for(link.user, link.event.group)
    return (
        render_template(
            "events/announce_answer.html",
            event=link.event,
            user=link.user,
            answer=answer,
            rsvp=rsvp,
            form=ButtonForm(),
            event_link=f"{event_url(link.event.key)}?via=email",
        ),
        200,
        NO_STORE,
    )


@bp.get("/m/answer/<token>")
def answer(token: str):
    link = announcements.by_answer_token(token)
    return _answer_page(link, _answer())


@bp.post("/m/answer/<token>")
def answer_post(token: str):
    link = announcements.by_answer_token(token)
    answer = _answer()
    rsvp = announcements.answer(link, answer == "going")
    db.session.commit()
    return _answer_page(link, answer, rsvp)
