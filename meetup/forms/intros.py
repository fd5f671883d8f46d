"""Introduction forms: adding a pair by hand, a person's introduction settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..services.intros import intents
from ..services.intros import settings as intro_settings
from .base import AppForm


class AddPairForm(AppForm):
    user_id = SelectField(_l("Introduce"), coerce=int, validators=[DataRequired()])
    other_id = SelectField(_l("to"), coerce=int, validators=[DataRequired()])
    reason = TextAreaField(
        _l("Why they should meet"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("Both will read this in their email."),
        render_kw={"rows": 2},
    )


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:  # unknown values are dropped, not refused
        pass


class IntroSettingsForm(AppForm):
    looking_intents = _Checkboxes(_l("I'm looking for"))
    offer_intents = _Checkboxes(_l("I can offer"))
    max_intros = SelectField(
        _l("Introductions per event"),
        coerce=int,
        choices=[SelectChoice(0, _l("None"))] + [SelectChoice(n, str(n)) for n in (1, 2, 3)],
    )
    intro_colleagues = BooleanField(_l("Colleagues from my company may be suggested too"))
    keep_blocked = _Checkboxes(_l("Never suggest"), coerce=int)
    block_name = StringField(
        _l("Never suggest someone else"),
        validators=[Length(max=120)],
        description=_l("Their name, as it appears in one of your groups. Nobody is told."),
    )

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.looking_intents.choices = [
            SelectChoice(t, intents.label(t)) for t in intents.LOOKING_TAGS
        ]
        self.offer_intents.choices = [SelectChoice(t, intents.label(t)) for t in intents.OFFER_TAGS]
        self.keep_blocked.choices = [
            SelectChoice(u.id, u.display_name) for u in intro_settings.blocked(user)
        ]
