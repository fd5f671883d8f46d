"""Questions at RSVP: an organizer asks a few per event ("Dietary needs?", "Which company?",
"I accept the code of conduct"); people answer them when they say Going or join the
waitlist, in the same form.

Rules (docs/events.md):
- At most MAX_QUESTIONS per event and MAX_OPTIONS per choice question; labels, options and
  answers have length limits. A question's kind is one of KINDS and never changes (remove it
  and add another instead).
- The questions live on the event row (Event.questions, in their order), the answers on the
  RSVP row (Rsvp.question_answers, by question id): an answer and the attendee list read
  nothing more for them. A question's id is random (48 bits), never reused, so answers stay with
  their question through edits and reordering.
- An answer keeps the chosen option's words, not its place in the list: removing or
  rewording an option leaves the answers already given readable as they were given.
- Deleting a question takes it off the form, the list and the export; the RSVPs stay as they
  are. A required question added later is asked of those already answered when they next
  save their answers; it doesn't unseat anyone.
- Answers change until the RSVP deadline, or the event's start when there is none. Saying
  Can't go keeps them (prefilled if the person comes back).
- Only organizers read them: the attendee list, its CSV and answers_for(). Nothing else
  (introductions, who's going, feeds, public pages) does.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import Event, Rsvp
from .. import text
from ..errors import DomainError

KINDS = ("short_text", "long_text", "one_choice", "many_choices", "checkbox")
CHOICE_KINDS = ("one_choice", "many_choices")
MAX_QUESTIONS = 10
MAX_OPTIONS = 12
MAX_LABEL = 200  # characters of a question
MAX_OPTION = 100  # characters of one option
MAX_SHORT = 200  # characters of a short answer
MAX_LONG = 2000  # characters of a long answer


@dataclass
class Question:
    id: str
    kind: str
    label: str
    required: bool = False
    options: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Mapping) -> Question:
        return cls(
            id=str(data["id"]),
            kind=data["kind"],
            label=data.get("label", ""),
            required=bool(data.get("required")),
            options=list(data.get("options") or ()),
        )

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "required": self.required,
            "options": list(self.options),
        }

    @property
    def max_length(self) -> int:
        return MAX_LONG if self.kind == "long_text" else MAX_SHORT


class AnswersInvalid(DomainError):
    """Answers that can't be kept: `errors` says why for each question, by id
    (answer_required, answer_must_tick, answer_too_long, answer_not_an_option)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("answers_invalid", errors=errors)
        self.errors = errors


# ------------------------------------------------------------------ the organizer's questions


def questions_of(event: Event) -> list[Question]:
    """The event's questions, in order (no query: they are on the event row)."""
    return [Question.from_dict(data) for data in event.questions or ()]


def get(event: Event, question_id: str) -> Question:
    for question in questions_of(event):
        if question.id == question_id:
            return question
    raise DomainError("question_not_found")


def _save(event: Event, questions: list[Question]) -> None:
    event.questions = [q.as_dict() for q in questions] or None  # a new list: JSON is rewritten
    db.session.flush()


def _clean_definition(kind: str, label: str, options: list[str]) -> tuple[str, list[str]]:
    if kind not in KINDS:
        raise DomainError("question_kind_invalid")
    label = " ".join((label or "").split())
    if not label:
        raise DomainError("question_label_required")
    if len(label) > MAX_LABEL:
        raise DomainError("question_label_too_long")
    # Read by everyone who RSVPs: never a text-direction override (services/text.py).
    for words in (label, *options):
        code = text.refusal(words) if words.strip() else None
        if code is not None:
            raise DomainError(code)
    if kind not in CHOICE_KINDS:
        return label, []
    cleaned: list[str] = []
    for option in options:
        option = " ".join(option.split())
        if option and option not in cleaned:
            cleaned.append(option)
    if any(len(option) > MAX_OPTION for option in cleaned):
        raise DomainError("question_option_too_long")
    if len(cleaned) < 2:
        raise DomainError("question_options_required")
    if len(cleaned) > MAX_OPTIONS:
        raise DomainError("question_too_many_options")
    return label, cleaned


def add(
    event: Event, kind: str, label: str, *, required: bool = False, options: list[str] = ()
) -> Question:
    """A new question, last on the form."""
    questions = questions_of(event)
    if len(questions) >= MAX_QUESTIONS:
        raise DomainError("too_many_questions")
    label, options = _clean_definition(kind, label, list(options))
    # 48 random bits: a deleted question's id (its answers stay in the rows) won't come back.
    taken = {q.id for q in questions}
    question_id = secrets.token_hex(6)
    while question_id in taken:  # pragma: no cover
        question_id = secrets.token_hex(6)
    question = Question(question_id, kind, label, required, options)
    _save(event, [*questions, question])
    return question


def update(
    event: Event, question_id: str, label: str, *, required: bool, options: list[str] = ()
) -> Question:
    """New words, options or requiredness; the kind stays. Answers already given stay as
    they were (an option removed is still read as it was chosen)."""
    questions = questions_of(event)
    question = get(event, question_id)
    question.label, question.options = _clean_definition(question.kind, label, list(options))
    question.required = required
    _save(event, [question if q.id == question_id else q for q in questions])
    return question


def move(event: Event, question_id: str, offset: int) -> None:
    """One place up (-1) or down (+1); at either end nothing moves."""
    questions = questions_of(event)
    index = next((i for i, q in enumerate(questions) if q.id == question_id), None)
    if index is None:
        raise DomainError("question_not_found")
    other = index + offset
    if 0 <= other < len(questions) and offset in (-1, 1):
        questions[index], questions[other] = questions[other], questions[index]
        _save(event, questions)


def remove(event: Event, question_id: str) -> Question:
    """Off the form, the list and the export. The answers stay in their RSVP rows, unread."""
    question = get(event, question_id)
    _save(event, [q for q in questions_of(event) if q.id != question_id])
    return question


def copied(source: Event | None, event: Event) -> Event:
    """`event`, asking the questions of `source` (the event it was copied from), if any."""
    if source is not None and source.questions and not event.questions:
        event.questions = copy.deepcopy(source.questions)
        db.session.flush()
    return event


def share_with_series(event: Event, now: datetime) -> int:
    """The dates of the event's series still to come ask the same questions as it does
    (with the same ids: answers already given to a copy of a question stay with it).
    Returns how many dates changed."""
    if event.series_id is None:
        raise DomainError("question_not_in_series")
    later = db.session.scalars(
        select(Event).where(
            Event.series_id == event.series_id,
            Event.id != event.id,
            Event.starts_at > now,
            Event.cancelled_at.is_(None),
        )
    ).all()
    for other in later:
        other.questions = copy.deepcopy(event.questions) or None
    db.session.flush()
    return len(later)


def for_new_date(series_id: int) -> list | None:
    """What a new date of a series asks: the questions of its latest date so far."""
    asked = db.session.scalar(
        select(Event.questions)
        .where(Event.series_id == series_id)
        .order_by(Event.series_index.desc())
        .limit(1)
    )
    return copy.deepcopy(asked) or None


# ------------------------------------------------------------------ answering


def closes_at(event: Event) -> datetime:
    """Until when answers can change: the RSVP deadline, else the start."""
    return event.rsvp_deadline or event.starts_at


def answers_open(event: Event, now: datetime) -> bool:
    return now < closes_at(event)


def clean(questions: list[Question], raw: Mapping[str, object]) -> dict[str, object]:
    """The answers to keep from what was sent (by question id: text, a list of options, or
    a tick), or AnswersInvalid with every problem at once. Empty answers are left out."""
    values: dict[str, object] = {}
    errors: dict[str, str] = {}
    for question in questions:
        given = raw.get(question.id)
        if question.kind == "many_choices":
            picked = [given] if isinstance(given, str) else list(given or ())
            picked = [str(p).strip() for p in picked if str(p).strip()]
            if any(p not in question.options for p in picked):
                errors[question.id] = "answer_not_an_option"
            elif picked:
                values[question.id] = [o for o in question.options if o in picked]
        elif question.kind == "checkbox":
            if given not in (None, "", False, []):
                values[question.id] = True
        else:
            text = given if isinstance(given, str) else ""
            text = text.strip()
            if question.kind == "one_choice" and text and text not in question.options:
                errors[question.id] = "answer_not_an_option"
            elif len(text) > question.max_length:
                errors[question.id] = "answer_too_long"
            elif text:
                values[question.id] = text
        if question.required and question.id not in values and question.id not in errors:
            errors[question.id] = (
                "answer_must_tick" if question.kind == "checkbox" else "answer_required"
            )
    if errors:
        raise AnswersInvalid(errors)
    return values


def missing(questions: list[Question], answers: Mapping | None) -> list[Question]:
    """The required questions these answers leave unanswered."""
    answers = answers or {}
    return [q for q in questions if q.required and answers.get(q.id) in (None, "", [])]


def apply(rsvp: Rsvp, event: Event, values: dict | None, *, joining: bool, now: datetime) -> None:
    """Keep answers (cleaned by clean()) on an RSVP saying Going. None: none were sent (a
    bare "Going"): those there are kept, but someone joining must have answered the
    required questions already (a link confirming an earlier request carries its answers).
    Called by services/events/answers.py before the row is written."""
    questions = questions_of(event)
    if values is None:
        if joining and missing(questions, rsvp.question_answers):
            raise DomainError("answers_required")
        return
    if not questions:
        return
    if not answers_open(event, now):
        raise DomainError("answers_closed")
    known = {q.id for q in questions}
    # Answers to questions since deleted stay with the row (they are never read).
    kept = {k: v for k, v in (rsvp.question_answers or {}).items() if k not in known}
    kept.update((k, v) for k, v in values.items() if k in known)
    rsvp.question_answers = kept or None


# ------------------------------------------------------------------ reading (organizers only)


def text_of(value: object) -> str:
    """An answer as words: options joined by commas, a tick as "Yes"."""
    if value is True:
        return _("Yes")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def shown(event: Event, rsvp: Rsvp) -> list[tuple[str, str]]:
    """(question, answer) for each current question this RSVP answered, in the form's order
    (no query: both are loaded with the rows)."""
    answers = rsvp.question_answers or {}
    return [
        (q.label, text_of(answers[q.id]))
        for q in questions_of(event)
        if answers.get(q.id) not in (None, "", [])
    ]


def answers_for(rsvp_ids) -> dict[int, list[tuple[str, str]]]:
    """Each RSVP's answers as (question label, answer text) in the form's order, by RSVP id,
    in one query; an RSVP with no answers maps to an empty list. For organizers' pages only
    (the attendee list, the approval review): answers are never shown to anyone else."""
    ids = {int(i) for i in rsvp_ids}
    if not ids:
        return {}
    rows = db.session.execute(
        select(Rsvp.id, Rsvp.question_answers, Event.questions)
        .join(Event, Event.id == Rsvp.event_id)
        .where(Rsvp.id.in_(ids))
    )
    result: dict[int, list[tuple[str, str]]] = {}
    for rsvp_id, answers, questions in rows:
        answers = answers or {}
        result[rsvp_id] = [
            (q["label"], text_of(answers[q["id"]]))
            for q in questions or ()
            if answers.get(q["id"]) not in (None, "", [])
        ]
    return result


def csv_header(event: Event) -> list[str]:
    return [q.label for q in questions_of(event)]


def csv_cells(event: Event, rsvp: Rsvp) -> list[str]:
    """One cell per current question ("yes" for a tick, as the export's other yes/no)."""
    answers = rsvp.question_answers or {}
    cells = []
    for question in questions_of(event):
        value = answers.get(question.id)
        cells.append("yes" if value is True else text_of(value))
    return cells
