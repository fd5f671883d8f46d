"""Questions at RSVP: the organizer's page to add, edit, reorder and remove an event's
questions, and what the RSVP form and panel need to ask them
(services/events/questions.py holds the rules)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import login_required

from ...error_messages import message_for, register_messages
from ...extensions import db
from ...forms.base import ButtonForm
from ...forms.questions import (
    KIND_LABELS,
    SHOWN,
    EditQuestionForm,
    QuestionForm,
    field_name,
    sent_answers,
)
from ...models import Event, Rsvp, utcnow
from ...services.errors import DomainError
from ...services.events import questions as svc
from .. import access

bp = Blueprint("questions", __name__)

register_messages(
    {
        "answers_invalid": (400, _l("Some answers need another look: see below.")),
        "answers_required": (
            400,
            _l("This event asks a few questions: answer them on its page to RSVP."),
        ),
        "answers_closed": (409, _l("Answers to this event's questions can no longer change.")),
        "question_not_found": (404, _l("This question isn't on this event any more.")),
        "question_not_in_series": (409, _l("This event isn't part of a series.")),
        "too_many_questions": (
            409,
            _l("An event asks at most %(n)s questions.", n=svc.MAX_QUESTIONS),
        ),
        "question_kind_invalid": (400, _l("Choose a kind of answer from the list.")),
        "question_label_required": (400, _l("Type the question.")),
        "question_label_too_long": (
            400,
            _l("Keep the question under %(n)s characters.", n=svc.MAX_LABEL),
        ),
        "question_options_required": (400, _l("Give at least two different choices.")),
        "question_too_many_options": (
            400,
            _l("At most %(n)s choices.", n=svc.MAX_OPTIONS),
        ),
        "question_option_too_long": (
            400,
            _l("Keep each choice under %(n)s characters.", n=svc.MAX_OPTION),
        ),
    }
)

# Next to a field of the RSVP form.
ANSWER_PROBLEMS = {
    "answer_required": _l("Please answer this question."),
    "answer_must_tick": _l("Tick this box to RSVP."),
    "answer_too_long": _l("This answer is too long."),
    "answer_not_an_option": _l("Choose one of the options shown."),
}
# Which field of the question form a refusal is about.
_FIELD_OF = {
    "question_kind_invalid": "kind",
    "question_label_required": "label",
    "question_label_too_long": "label",
    "question_options_required": "options",
    "question_too_many_options": "options",
    "question_option_too_long": "options",
}


# ------------------------------------------------------------------ the organizer's page


def _page(event: Event, form: QuestionForm | None = None, status: int = 200):
    return render_template(
        "events/questions.html",
        event=event,
        questions=svc.questions_of(event),
        kinds=KIND_LABELS,
        form=form or QuestionForm(formdata=None),
        button_form=ButtonForm(),
        max_questions=svc.MAX_QUESTIONS,
        answers_open=svc.answers_open(event, utcnow()),
    ), status


def _refused(form: QuestionForm, err: DomainError) -> int:
    db.session.rollback()
    status, message = message_for(err.code)
    name = _FIELD_OF.get(err.code)
    if name is not None and getattr(form, name, None) is not None:
        form[name].errors = [*form[name].errors, message]
    else:
        form.form_errors.append(message)
    return status


@bp.get("/e/<event_key>/questions")
@login_required
def index(event_key: str):
    return _page(access.event_for_organizer(event_key))


@bp.post("/e/<event_key>/questions")
@login_required
def add(event_key: str):
    event = access.event_for_organizer(event_key)
    form = QuestionForm()
    if not form.validate():
        return _page(event, form, 400)
    try:
        svc.add(
            event,
            form.kind.data,
            form.label.data,
            required=bool(form.required.data),
            options=form.option_list(),
        )
    except DomainError as err:
        return _page(event, form, _refused(form, err))
    db.session.commit()
    flash(_("Question added."), "success")
    return redirect(url_for(".index", event_key=event.key), 303)


@bp.route("/e/<event_key>/questions/<question_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_key: str, question_id: str):
    event = access.event_for_organizer(event_key)
    question = svc.get(event, question_id)
    if request.method == "GET":
        form = EditQuestionForm(
            formdata=None,
            label=question.label,
            required=question.required,
            options="\n".join(question.options),
        )
        return _edit_page(event, question, form)
    form = EditQuestionForm()
    if not form.validate():
        return _edit_page(event, question, form, 400)
    try:
        svc.update(
            event,
            question.id,
            form.label.data,
            required=bool(form.required.data),
            options=form.option_list(),
        )
    except DomainError as err:
        return _edit_page(event, question, form, _refused(form, err))
    db.session.commit()
    flash(_("Question saved."), "success")
    return redirect(url_for(".index", event_key=event.key), 303)


def _edit_page(event: Event, question: svc.Question, form: QuestionForm, status: int = 200):
    return render_template(
        "events/question_edit.html",
        event=event,
        question=question,
        kind_label=KIND_LABELS[question.kind],
        form=form,
        button_form=ButtonForm(),
    ), status


@bp.post("/e/<event_key>/questions/<question_id>/move")
@login_required
def move(event_key: str, question_id: str):
    event = access.event_for_organizer(event_key)
    if not ButtonForm().validate():
        abort(400)
    svc.move(event, question_id, -1 if request.form.get("direction") == "up" else 1)
    db.session.commit()
    return redirect(url_for(".index", event_key=event.key) + f"#q-{question_id}", 303)


@bp.post("/e/<event_key>/questions/<question_id>/remove")
@login_required
def remove(event_key: str, question_id: str):
    event = access.event_for_organizer(event_key)
    if not ButtonForm().validate():
        abort(400)
    question = svc.remove(event, question_id)
    db.session.commit()
    flash(_("Question removed: “%(label)s”.", label=question.label), "success")
    return redirect(url_for(".index", event_key=event.key), 303)


@bp.post("/e/<event_key>/questions/series")
@login_required
def share_with_series(event_key: str):
    """The dates of the series still to come ask these same questions."""
    event = access.event_for_organizer(event_key)
    if not ButtonForm().validate():
        abort(400)
    changed = svc.share_with_series(event, utcnow())
    db.session.commit()
    if changed:
        message = ngettext(
            "The next date of the series asks these questions too.",
            "The %(num)d dates to come of the series ask these questions too.",
            changed,
        )
    else:
        message = _("No date of the series is still to come.")
    flash(message, "success" if changed else "info")
    return redirect(url_for(".index", event_key=event.key), 303)


# ------------------------------------------------------------------ asked with an RSVP


def read_answers(event: Event, answers, *, signed_in: bool) -> dict | None:
    """Put the answers to the event's questions sent with an RSVP into `answers` (a
    services.events.answers.Answers). Returns what to show the form again with when some
    can't be kept (rsvp_questions()'s `problem`), else None. Signed in, a bare "Going"
    (no question fields sent) keeps the answers there; signed out it must carry them."""
    questions = svc.questions_of(event)
    if not questions:
        return None
    sent = sent_answers(questions)
    if sent is None:
        if signed_in:
            return None
        sent = {}
    try:
        answers.questions = svc.clean(questions, sent)
    except svc.AnswersInvalid as err:
        return {"errors": err.errors, "sent": sent}
    return None


@bp.app_context_processor
def _panel_helpers() -> dict:
    # attendee_answers: for organizers' pages only (the attendee list).
    return {
        "rsvp_questions": rsvp_questions,
        "attendee_answers": svc.shown,
        "questions_required": lambda event: bool(svc.missing(svc.questions_of(event), None)),
    }


def rsvp_questions(event: Event, my_rsvp: Rsvp | None, problem: dict | None = None) -> dict:
    """What templates/events/_rsvp_questions.html needs (no query): each question with its
    field's name, value (as sent, else as answered) and problem; whether answers can still
    change; the answers given, as words."""
    questions = svc.questions_of(event)
    saved = (my_rsvp.question_answers if my_rsvp is not None else None) or {}
    values = problem["sent"] if problem else saved
    errors = problem["errors"] if problem else {}
    fields = []
    for question in questions:
        value = values.get(question.id)
        if question.kind == "many_choices":
            value = value if isinstance(value, list) else []
        elif question.kind == "checkbox":
            value = bool(value)
        else:
            value = value if isinstance(value, str) else ""
        error = errors.get(question.id)
        fields.append(
            {
                "q": question,
                "name": field_name(question),
                "value": value,
                "error": str(ANSWER_PROBLEMS[error]) if error else None,
            }
        )
    return {
        "fields": fields,
        "shown_marker": SHOWN,
        "open": svc.answers_open(event, utcnow()),
        "errors": bool(errors),
        "answered": svc.shown(event, my_rsvp) if my_rsvp is not None else [],
    }
