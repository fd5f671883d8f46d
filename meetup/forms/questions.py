"""Questions at RSVP: the organizer's question form, and the answers read from the RSVP form
(services/events/questions.py keeps the rules)."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..services.events import questions as svc
from .base import AppForm, NameField

KIND_LABELS = {
    "short_text": _l("Short text"),
    "long_text": _l("Long text"),
    "one_choice": _l("One choice"),
    "many_choices": _l("Several choices"),
    "checkbox": _l("A box to tick (“I accept the code of conduct”)"),
}

# The RSVP form says it showed the questions with this field; their fields are "q_<id>".
SHOWN = "questions"


def field_name(question: svc.Question) -> str:
    return f"q_{question.id}"


class QuestionForm(AppForm):
    kind = SelectField(
        _l("Kind of answer"),
        choices=[SelectChoice(kind, label) for kind, label in KIND_LABELS.items()],
        validators=[InputRequired()],
    )
    label = NameField(_l("Question"), validators=[InputRequired(), Length(max=svc.MAX_LABEL)])
    options = TextAreaField(
        _l("Choices, one per line"),
        description=_l("For one or several choices: from 2 to %(n)s.", n=svc.MAX_OPTIONS),
        validators=[Length(max=svc.MAX_OPTIONS * (svc.MAX_OPTION + 2))],
    )
    required = BooleanField(_l("An answer is required"))

    def option_list(self) -> list[str]:
        return [line for line in (self.options.data or "").splitlines() if line.strip()]


class EditQuestionForm(QuestionForm):
    """The kind stays: answers already given were given to it."""

    kind = None


def sent_answers(questions: list[svc.Question]) -> dict[str, object] | None:
    """What the RSVP form sent for each question, by id; None if it didn't show them."""
    if SHOWN not in request.form:
        return None
    sent: dict[str, object] = {}
    for question in questions:
        name = field_name(question)
        if question.kind == "many_choices":
            sent[question.id] = request.form.getlist(name)
        else:
            sent[question.id] = request.form.get(name, "")
    return sent
