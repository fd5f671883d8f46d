"""Introduction forms: adding a pair by hand, a person's introduction settings, and the
intent chips shared by the RSVP form and the profile: checkboxes (styled as chips)
preselected from what we read in the person's words, with the tags read sent back so that
a chip unticked is remembered as declined."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..services.intros import chips as chips_service
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


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:  # unknown values are dropped, not refused
        pass


# Built once, with lazy labels: a POST validates the tags alone (the RSVP path is benchmarked),
# and only a rendered form translates them.
_LOOKING_CHOICES = [SelectChoice(t, intents.INTENTS[t].label) for t in intents.LOOKING_TAGS]
_OFFER_CHOICES = [SelectChoice(t, intents.INTENTS[t].label) for t in intents.OFFER_TAGS]


class IntentChips:
    """Fields of a form that offers the intents as chips (mix into an AppForm)."""

    looking_intents = Checkboxes(_l("I'm looking for"))
    offer_intents = Checkboxes(_l("I can offer"))
    intents_read = HiddenField()

    def set_intent_choices(self) -> None:
        self.looking_intents.choices = _LOOKING_CHOICES
        self.offer_intents.choices = _OFFER_CHOICES

    def show_chips(self, shown: chips_service.Chips) -> None:
        self.looking_intents.data = list(shown.looking)
        self.offer_intents.data = list(shown.offer)
        self.intents_read.data = " ".join(shown.read)

    def chips_answered(self) -> dict | None:
        """The chips as answered, None when the form was sent without them (a bare answer,
        or a client of its own that only sends the words)."""
        if "intents_read" not in request.form:
            return None
        return chips_service.answered(
            self.looking_intents.data or [],
            self.offer_intents.data or [],
            chips_service.parse_read(self.intents_read.data),
        )


class IntroSettingsForm(IntentChips, AppForm):
    max_intros = SelectField(
        _l("Introductions per event"),
        coerce=int,
        choices=[SelectChoice(0, _l("None"))] + [SelectChoice(n, str(n)) for n in (1, 2, 3)],
    )
    intro_colleagues = BooleanField(_l("Colleagues from my company may be suggested too"))
    keep_blocked = Checkboxes(_l("Never suggest"), coerce=int)
    block_name = StringField(
        _l("Never suggest someone else"),
        validators=[Length(max=120)],
        description=_l("Their name, as it appears in one of your groups. Nobody is told."),
    )

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.set_intent_choices()
        self.keep_blocked.choices = [
            SelectChoice(u.id, u.display_name) for u in intro_settings.blocked(user)
        ]

    def save_to(self, user):
        """Store what the form holds; returns the person newly blocked by name, if any."""
        return intro_settings.save(
            user,
            looking_intents=self.looking_intents.data or [],
            offer_intents=self.offer_intents.data or [],
            declined_intents=(self.chips_answered() or {}).get("declined"),
            max_intros=self.max_intros.data,
            intro_colleagues=self.intro_colleagues.data,
            keep_blocked=self.keep_blocked.data or [],
            block_name=self.block_name.data or "",
        )
