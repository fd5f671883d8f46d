"""Slack and Discord webhook forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from ..services.channels import labels, webhooks
from .base import AppForm


class WebhookForm(AppForm):
    url = StringField(
        _l("Webhook URL"),
        validators=[InputRequired(), Length(max=webhooks.URL_MAX)],
        description=_l(
            "From Slack (Incoming Webhooks: https://hooks.slack.com/services/…) or Discord "
            "(Channel settings, Integrations, Webhooks: https://discord.com/api/webhooks/…)."
        ),
    )
    channel = StringField(
        _l("Channel"),
        validators=[InputRequired(), Length(max=labels.MAX_LENGTH)],
        description=_l("A short label for its links, such as slack-general."),
    )
