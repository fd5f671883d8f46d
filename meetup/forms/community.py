"""Group, invite-link, role and member-import forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, Optional

from ..services.community import groups as svc
from .base import AppForm, NameField, language_field

ROLE_LABELS = {
    "organizer": _l("Organizer"),
    "co_organizer": _l("Co-organizer"),
    "member": _l("Member"),
}

PLATFORM_LABELS = {
    "slack": _l("Slack"),
    "discord": _l("Discord"),
    "linkedin": _l("LinkedIn"),
    "whatsapp": _l("WhatsApp"),
    "mailing_list": _l("Mailing list"),
    "other": _l("Other"),
}


class GroupForm(AppForm):
    name = NameField(_l("Name"), validators=[DataRequired(), Length(max=svc.NAME_MAX)])
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=svc.DESCRIPTION_MAX)],
        description=_l("Markdown works: **bold**, lists, links."),
    )
    platform = SelectField(
        _l("Where does the community live online?"),
        choices=[SelectChoice(value, label) for value, label in PLATFORM_LABELS.items()],
        default="slack",
    )
    community_url = URLField(
        _l("Link to the community"),
        validators=[
            Optional(),
            Length(max=svc.URL_MAX),
            URL(require_tld=False, message=_l("Enter a web address starting with https://")),
        ],
        description=_l("The Slack workspace, Discord server, LinkedIn group… (http or https)"),
    )
    locale = language_field(_l("Language of its pages and emails"))


class DeleteGroupForm(AppForm):
    confirm_name = StringField(_l("Type the group's name to confirm"), validators=[DataRequired()])


class InviteForm(AppForm):
    label = NameField(
        _l("Label"),
        validators=[DataRequired(), Length(max=svc.LABEL_MAX)],
        description=_l("Where you will share it, e.g. “Slack #general” or “Alumni newsletter”."),
    )


class JoinForm(AppForm):
    """Joining through an invite link: the person says their name (required until they have
    one, so the group greets them by it and not by their address)."""

    name = NameField(
        _l("Your name"),
        validators=[Length(max=120)],
        description=_l("As the group's members will see it."),
    )


class RoleForm(AppForm):
    role = HiddenField(validators=[DataRequired()])


class UploadForm(AppForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(_l("Choose a CSV file."))],
        description=_l(
            "Slack: Workspace settings → Manage members → Export member list. "
            "LinkedIn: Settings → Data privacy → Get a copy of your data → Connections. "
            "Discord: your member-export bot's CSV (it needs an email column)."
        ),
    )
