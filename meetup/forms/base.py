"""The base of every form: Flask-WTF's, reading what a client other than our pages sends.

- Flask-WTF fills a form from a JSON body as it would from form fields. A body that was JSON
  but not an object (a string, a list, a number), or held objects as values, made it fail
  with a 500. Here such a body is a 400 ("bad_json"), and values that aren't text, numbers
  or booleans are left out (a required field then says so).
- A text field left out of a submitted form reads as empty text, as a browser sends an
  empty box, not None: NOT NULL columns refused None with a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from flask import request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import get_translations
from wtforms.validators import ValidationError

from ..error_messages import message_for
from ..i18n import LANGUAGES
from ..services import text
from ..services.accounts.users import normalize_email
from ..services.errors import DomainError

_FROM_REQUEST = object()
FORM_ERRORS = "meetup.form_errors"  # the request's form errors, in its WSGI environ


def json_formdata(data: Mapping[str, Any]) -> MultiDict:
    """A JSON object as form data for WTForms: scalars as text, true as "y"."""
    out = MultiDict()
    for key, value in data.items():
        if isinstance(value, bool):
            if value:
                out[key] = "y"
        elif isinstance(value, str | int | float):
            out[key] = str(value)
    return out


def json_object() -> dict:
    """The request's JSON body, which must be an object (400 otherwise)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError("bad_json")
    return data


def language_field(label, *, browser_choice: str | None = None) -> SelectField:
    """A choice of the languages the app speaks, each named in itself ("Français");
    `browser_choice` first, as "", when the person may leave it to their browser."""
    choices = [SelectChoice(code, name) for code, name in LANGUAGES.items()]
    if browser_choice:
        choices.insert(0, SelectChoice("", browser_choice))
    # Not validated against the list: anything else reads as "no choice" (services keep only
    # known languages), so a client that sends no language is not refused for it.
    return SelectField(
        label, choices=choices, default="" if browser_choice else None, validate_choice=False
    )


@lru_cache(maxsize=8)
def _wtforms_translations(locale: str):
    return get_translations([locale])


class _PageTranslations:
    """WTForms' own messages ("Not a valid integer value.") in the page's language, each
    catalogue read once per process. The language is looked up when a message is, not when
    the form is made: an answer's form is made before the person is read."""

    @staticmethod
    def _current():
        locale = get_locale()
        return _wtforms_translations(str(locale) if locale else "en")

    def gettext(self, string: str) -> str:
        return self._current().gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._current().ngettext(singular, plural, n)


_PAGE_TRANSLATIONS = _PageTranslations()


class AppForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _PAGE_TRANSLATIONS

    def __init__(self, formdata: Any = _FROM_REQUEST, **kwargs: Any) -> None:
        if formdata is not _FROM_REQUEST:
            kwargs["formdata"] = formdata
        elif self.is_submitted() and request.is_json:
            kwargs["formdata"] = json_formdata(json_object())
        super().__init__(**kwargs)

    def process(self, *args: Any, **kwargs: Any) -> None:
        super().process(*args, **kwargs)
        if self.is_submitted():
            for field in self:
                if isinstance(field, StringField) and field.data is None:
                    field.data = ""

    def validate(self, extra_validators: Any = None) -> bool:
        """Free text people read (a description, what someone looks for, a message) may be
        anything but a text-direction override, which would reverse what follows it on the
        page and in emails (services/text.py): refused like in a name."""
        valid = super().validate(extra_validators)
        for field in self:
            data = field.data if isinstance(field, TextAreaField) else None
            if data and any(c in text.DIRECTION_CONTROLS for c in data):
                field.errors = [*field.errors, message_for("text_direction_control")[1]]
                valid = False
        if not valid and request:  # a JSON client's answer is its errors (views/errors.py)
            errors = request.environ.setdefault(FORM_ERRORS, {})
            errors.update(self.errors)
        return valid


class ButtonForm(AppForm):
    """A POST-only button (RSVP, cancel, revoke, confirm a link...): only the CSRF token, so a
    GET (a mail scanner, a link preview) never changes anything."""


class NameField(StringField):
    """A name or title people read (event title, venue, group name, person's name and
    company, label): never only invisible characters, never a text-direction override
    (services/text.py). Checked before the field's own validators, so a form that replaces
    them keeps this rule."""

    def pre_validate(self, form: Any) -> None:
        code = text.refusal(self.data)
        if code is not None:
            raise ValidationError(message_for(code)[1])


class MailableEmail:
    """An address the mailer can send to, checked exactly as the services will check it
    (services/accounts/users.normalize_email): one rule for every form, page and API."""

    def __call__(self, form, field) -> None:
        if not field.data:
            return  # Optional() or InputRequired() decides
        try:
            normalize_email(field.data)
        except DomainError as err:
            if err.code == "invalid_email":
                raise ValidationError(_l("Enter a valid email address.")) from err
            raise ValidationError(message_for(err.code)[1]) from err
