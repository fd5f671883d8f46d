"""Organizer email forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Regexp

from ..services.mail import attendee_email as announcements
from .base import AppForm, NameField

_STALE = _l("This form is out of date: reload the page and send your message again.")


class MessageForm(AppForm):
    audience = RadioField(_l("To"), validators=[InputRequired()], default="going")
    subject = NameField(
        _l("Subject"), validators=[InputRequired(), Length(max=announcements.SUBJECT_MAX)]
    )
    body = TextAreaField(
        _l("Message"),
        validators=[InputRequired(), Length(max=announcements.BODY_MAX)],
        description=_l("Plain text. It is sent with the event's date, place and link."),
    )
    # A page from before (or a hand-made request) without a key of ours: say so, send nothing.
    form_key = HiddenField(
        validators=[
            InputRequired(message=_STALE),
            Regexp(announcements.KEY_SHAPE, message=_STALE),
        ]
    )
