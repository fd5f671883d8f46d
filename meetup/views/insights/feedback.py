"""Feedback on an event, from the "thanks for coming" email's signed link (no sign-in)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_babel import lazy_gettext as _l

from ...error_messages import register_messages
from ...extensions import db
from ...forms.insights import FeedbackForm
from ...models import EventFeedback
from ...services.insights import followups
from ...templating import page_for

bp = Blueprint("feedback", __name__)

register_messages(
    {
        "feedback_link_invalid": (
            404,
            _l("This feedback link doesn't work: it may be too old. Thank you all the same!"),
        ),
    }
)


def _page(body: str, status: int = 200) -> Response:
    response = Response(body, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the link is the key
    return response


@bp.route("/feedback/<token>", methods=["GET", "POST"])
def form(token: str):
    rsvp = followups.rsvp_by_feedback_token(token)
    page_for(rsvp.user, rsvp.event.group)
    previous = db.session.scalar(
        db.select(EventFeedback).where(
            EventFeedback.event_id == rsvp.event_id, EventFeedback.user_id == rsvp.user_id
        )
    )
    form = FeedbackForm(obj=previous)
    if form.validate_on_submit():
        followups.save_feedback(rsvp, form.rating.data, form.comment.data or "")
        db.session.commit()
        return _page(render_template("insights/feedback_done.html", event=rsvp.event))
    status = 400 if form.is_submitted() else 200
    return _page(render_template("insights/feedback.html", form=form, event=rsvp.event), status)
