"""Named plus-ones: a guest as the host types them, and a guest's own introductions answers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..services.events import guests as svc
from .base import AppForm, MailableEmail, NameField


def guest_inputs(form) -> list[svc.GuestInput] | None:
    """The guests an RSVP form names (repeated `guest_name` / `guest_email` fields, blank
    rows skipped by the service); None when it has no such fields: the party stays as it is."""
    if "guest_name" not in form:
        return None
    names = form.getlist("guest_name")[: svc.MAX_GUESTS * 2]
    emails = form.getlist("guest_email")[: len(names)]
    emails += [""] * (len(names) - len(emails))
    return [
        svc.GuestInput(name[: svc.MAX_NAME * 2], email[:254] or None)
        for name, email in zip(names, emails, strict=True)
    ]


class GuestForm(AppForm):
    """One guest: a name, and optionally an email (their ticket goes there)."""

    name = NameField(
        _l("Guest's name"),
        validators=[InputRequired(), Length(max=svc.MAX_NAME)],
        render_kw={"maxlength": svc.MAX_NAME, "autocomplete": "off"},
    )
    email = EmailField(
        _l("Their email (optional)"),
        validators=[Optional(), MailableEmail(), Length(max=254)],
        description=_l("They get their own ticket there. Without one, it is on your ticket."),
        render_kw={"autocomplete": "off", "inputmode": "email"},
    )

    def guest(self) -> svc.GuestInput:
        return svc.GuestInput(self.name.data or "", self.email.data or None)


class GuestIntrosForm(AppForm):
    """What a guest tells the event about themselves, and whether they want introductions."""

    looking_for = TextAreaField(
        _l("What are you looking for?"),
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 2, "maxlength": 1000},
    )
    can_offer = TextAreaField(
        _l("What can you offer?"),
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 2, "maxlength": 1000},
    )
    wants_intros = BooleanField(_l("Yes, introduce me to a few people I met there"))
