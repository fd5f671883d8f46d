"""Sign-in, sign-up and profile forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ..services.accounts import users as accounts
from .base import AppForm, MailableEmail, NameField, language_field

TEXT_MAX = 1000  # characters of a profile's free texts


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _email_field(field_id: str = "email") -> EmailField:
    # Several forms share a page: distinct ids, but always the name "email" (the rate limit key).
    return EmailField(
        _l("Email"),
        id=field_id,
        filters=[_strip],
        validators=[DataRequired(), Length(max=254), MailableEmail()],
        render_kw={"autocomplete": "email", "inputmode": "email", "autocapitalize": "none"},
    )


def new_password_field(label=None) -> PasswordField:
    return PasswordField(
        label or _l("Password"),
        validators=[DataRequired(), Length(min=accounts.PASSWORD_MIN, max=accounts.PASSWORD_MAX)],
        description=_l("At least %(n)s characters.", n=accounts.PASSWORD_MIN),
        render_kw={"autocomplete": "new-password", "minlength": accounts.PASSWORD_MIN},
    )


class LinkForm(AppForm):
    email = _email_field("link-email")
    next = HiddenField(id="link-next")


class PasswordSignInForm(AppForm):
    email = _email_field("password-email")
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=accounts.PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField(id="password-next")


class SignUpForm(AppForm):
    name = NameField(
        _l("Your name"),
        validators=[DataRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field()
    password = new_password_field()
    next = HiddenField()


class ProfileForm(AppForm):
    name = NameField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    headline = NameField(
        _l("Headline"),
        validators=[Length(max=160)],
        description=_l("One line about what you do, e.g. “Data engineer, ex-Acme”."),
    )
    company = NameField(_l("Company"), validators=[Length(max=120)])
    looking_for = TextAreaField(
        _l("What are you looking for?"),
        validators=[Length(max=TEXT_MAX)],
        description=_l("A job, a co-founder, advice on…, people who…"),
        render_kw={"rows": 3},
    )
    can_offer = TextAreaField(
        _l("What can you offer?"),
        validators=[Length(max=TEXT_MAX)],
        description=_l("Mentoring, hiring, know-how in…"),
        render_kw={"rows": 3},
    )
    interests = StringField(
        _l("Interests"),
        validators=[Length(max=TEXT_MAX)],
        description=_l("Separated by commas, e.g. “python, product, climate”."),
    )
    wants_intros = BooleanField(_l("Introduce me to people I meet at events"))
    contact_details = TextAreaField(
        _l("Contact details to share on an introduction"),
        validators=[Length(max=500)],
        description=_l(
            "Shared only when you and the other person both say yes, e.g. your LinkedIn or phone."
        ),
        render_kw={"rows": 2},
    )
    locale = language_field(
        _l("Language of pages and emails"), browser_choice=_l("The group's, else my browser's")
    )


class PasswordForm(AppForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[Optional(), Length(max=accounts.PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = new_password_field(_l("New password"))
    confirm_password = PasswordField(
        _l("New password, again"),
        validators=[DataRequired(), EqualTo("new_password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class DeleteForm(AppForm):
    confirm_email = StringField(
        _l("Type your email address to confirm"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "off", "autocapitalize": "none"},
    )
