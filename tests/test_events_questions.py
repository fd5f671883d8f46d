"""Questions at RSVP, in the service: the organizer's questions, answers by kind, required,
choices, lengths, the deadline, editing after answers, answers_for(), the CSV."""

import csv
import io
from datetime import timedelta

import pytest

from meetup.extensions import db
from meetup.models import Rsvp, utcnow
from meetup.services.errors import DomainError
from meetup.services.events import answers as rsvp_answers
from meetup.services.events import attendees, questions
from meetup.services.events.questions import AnswersInvalid
from tests.factories import make_event, make_group, make_user


def _code(fn, *args, **kw) -> str:
    with pytest.raises(DomainError) as err:
        fn(*args, **kw)
    db.session.rollback()
    return err.value.code


@pytest.fixture
def event(app):
    return make_event(make_group(make_user()), capacity=1)


@pytest.fixture
def asked(event):
    """One question of each kind; returns them by kind."""
    made = {
        "short_text": questions.add(event, "short_text", "Which company?"),
        "long_text": questions.add(event, "long_text", "Anything we should know?"),
        "one_choice": questions.add(
            event, "one_choice", "Dietary needs", required=True, options=["None", "Vegan"]
        ),
        "many_choices": questions.add(
            event, "many_choices", "Topics", options=["Rust", "Go", "Python"]
        ),
        "checkbox": questions.add(event, "checkbox", "I accept the code of conduct", required=True),
    }
    db.session.commit()
    return made


def _clean(event, raw) -> dict:
    return questions.clean(questions.questions_of(event), raw)


def _errors(event, raw) -> dict:
    with pytest.raises(AnswersInvalid) as err:
        _clean(event, raw)
    assert err.value.code == "answers_invalid"
    return err.value.errors


def test_each_kind_is_kept_as_given(event, asked):
    ids = {kind: q.id for kind, q in asked.items()}
    values = _clean(
        event,
        {
            ids["short_text"]: "  Acme  ",
            ids["long_text"]: "Line one\nline two",
            ids["one_choice"]: "Vegan",
            ids["many_choices"]: ["Python", "Rust"],
            ids["checkbox"]: "y",
        },
    )
    assert values == {
        ids["short_text"]: "Acme",
        ids["long_text"]: "Line one\nline two",
        ids["one_choice"]: "Vegan",
        ids["many_choices"]: ["Rust", "Python"],  # in the options' order
        ids["checkbox"]: True,
    }
    user = make_user(name="Ana")
    rsvp = rsvp_answers.answer(event, user, True, rsvp_answers.Answers(questions=values))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Rsvp, rsvp.id).question_answers == values
    assert questions.answers_for([rsvp.id]) == {
        rsvp.id: [
            ("Which company?", "Acme"),
            ("Anything we should know?", "Line one\nline two"),
            ("Dietary needs", "Vegan"),
            ("Topics", "Rust, Python"),
            ("I accept the code of conduct", "Yes"),
        ]
    }


def test_required_choices_and_lengths_are_checked_all_at_once(event, asked):
    ids = {kind: q.id for kind, q in asked.items()}
    assert _errors(event, {}) == {
        ids["one_choice"]: "answer_required",
        ids["checkbox"]: "answer_must_tick",
    }
    errors = _errors(
        event,
        {
            ids["short_text"]: "x" * (questions.MAX_SHORT + 1),
            ids["long_text"]: "x" * (questions.MAX_LONG + 1),
            ids["one_choice"]: "Pizza",
            ids["many_choices"]: ["Rust", "Cobol"],
            ids["checkbox"]: "y",
        },
    )
    assert errors == {
        ids["short_text"]: "answer_too_long",
        ids["long_text"]: "answer_too_long",
        ids["one_choice"]: "answer_not_an_option",
        ids["many_choices"]: "answer_not_an_option",
    }
    # A long answer may be longer than a short one.
    ok = _clean(
        event, {ids["long_text"]: "x" * 1500, ids["one_choice"]: "None", ids["checkbox"]: "y"}
    )
    assert len(ok[ids["long_text"]]) == 1500


def test_joining_without_required_answers_is_refused_and_nothing_is_written(event, asked):
    user = make_user()
    assert _code(rsvp_answers.answer, event, user, True) == "answers_required"
    assert db.session.scalars(db.select(Rsvp)).all() == []
    # Can't go needs no answers.
    rsvp_answers.answer(event, user, False)
    db.session.commit()


def test_answers_change_until_the_deadline_then_stay(event, asked):
    ids = {kind: q.id for kind, q in asked.items()}
    now = utcnow()
    event.rsvp_deadline = now + timedelta(days=1)
    db.session.commit()
    user = make_user()
    first = _clean(event, {ids["one_choice"]: "None", ids["checkbox"]: "y"})
    rsvp = rsvp_answers.answer(event, user, True, rsvp_answers.Answers(questions=first), now=now)
    db.session.commit()
    second = _clean(event, {ids["one_choice"]: "Vegan", ids["checkbox"]: "y"})
    rsvp_answers.answer(event, user, True, rsvp_answers.Answers(questions=second), now=now)
    db.session.commit()
    assert db.session.get(Rsvp, rsvp.id).question_answers[ids["one_choice"]] == "Vegan"
    late = now + timedelta(days=2)
    code = _code(
        rsvp_answers.answer, event, user, True, rsvp_answers.Answers(questions=first), now=late
    )
    assert code == "answers_closed"
    assert db.session.get(Rsvp, rsvp.id).question_answers[ids["one_choice"]] == "Vegan"
    # A bare Going (no answers sent) keeps them, after the deadline too.
    rsvp_answers.answer(event, user, True, now=late)
    db.session.commit()
    # Without a deadline, answers close when the event starts.
    event.rsvp_deadline = None
    assert questions.answers_open(event, event.starts_at - timedelta(seconds=1))
    assert not questions.answers_open(event, event.starts_at)


def test_waitlist_joiners_answer_too_and_cant_go_keeps_answers(event, asked):
    ids = {kind: q.id for kind, q in asked.items()}
    values = _clean(event, {ids["one_choice"]: "None", ids["checkbox"]: "y"})
    seated, waiting = make_user(), make_user()
    rsvp_answers.answer(event, seated, True, rsvp_answers.Answers(questions=values))
    rsvp = rsvp_answers.answer(event, waiting, True, rsvp_answers.Answers(questions=values))
    db.session.commit()
    assert rsvp.status == "waitlisted" and rsvp.question_answers == values
    rsvp = rsvp_answers.answer(event, waiting, False)
    db.session.commit()
    assert rsvp.status == "not_going" and rsvp.question_answers == values
    # Back again with a bare Going: the answers kept count.
    assert rsvp_answers.answer(event, waiting, True).status == "waitlisted"


def test_a_signed_out_request_keeps_its_answers_through_the_link(event, asked):
    ids = {kind: q.id for kind, q in asked.items()}
    values = _clean(event, {ids["one_choice"]: "Vegan", ids["checkbox"]: "y"})
    rsvp, token = rsvp_answers.request_by_email(
        event, "ana@example.org", "Ana", rsvp_answers.Answers(questions=values)
    )
    db.session.commit()
    assert rsvp.status == "pending" and rsvp.question_answers == values  # with the pending row
    confirmed = rsvp_answers.confirm_by_link(token)
    db.session.commit()
    assert confirmed.status == "going" and confirmed.question_answers == values


def test_editing_questions_after_answers(event, asked):
    ids = {kind: q.id for kind, q in asked.items()}
    values = _clean(
        event,
        {ids["one_choice"]: "Vegan", ids["checkbox"]: "y", ids["many_choices"]: ["Go"]},
    )
    rsvp = rsvp_answers.answer(event, make_user(), True, rsvp_answers.Answers(questions=values))
    db.session.commit()
    # An option removed and another reworded: the answers given read as they were given.
    questions.update(event, ids["one_choice"], "Diet", required=True, options=["None", "Halal"])
    questions.update(event, ids["many_choices"], "Topics", required=False, options=["Rust", "C"])
    db.session.commit()
    shown = dict(questions.answers_for([rsvp.id])[rsvp.id])
    assert shown["Diet"] == "Vegan" and shown["Topics"] == "Go"
    # ...but nobody can choose them any more.
    assert _errors(event, {ids["one_choice"]: "Vegan", ids["checkbox"]: "y"}) == {
        ids["one_choice"]: "answer_not_an_option"
    }
    # A question deleted: off the list and the CSV; the RSVP stays as it was.
    questions.remove(event, ids["checkbox"])
    questions.move(event, ids["many_choices"], -1)
    db.session.commit()
    assert [label for label, _ in questions.answers_for([rsvp.id])[rsvp.id]] == ["Topics", "Diet"]
    assert rsvp.status == "going" and ids["checkbox"] in rsvp.question_answers
    # A new question never reuses an id; a required one added later unseats nobody.
    added = questions.add(event, "short_text", "Company", required=True)
    db.session.commit()
    assert added.id not in ids.values()
    assert rsvp_answers.answer(event, rsvp.user, True).status == "going"


def test_question_definitions_are_checked(event):
    assert _code(questions.add, event, "essay", "Tell us") == "question_kind_invalid"
    assert _code(questions.add, event, "short_text", "   ") == "question_label_required"
    assert _code(questions.add, event, "short_text", "x" * 201) == "question_label_too_long"
    assert (
        _code(questions.add, event, "one_choice", "Pick", options=["Only", " Only "])
        == "question_options_required"
    )
    many = [f"Option {i}" for i in range(questions.MAX_OPTIONS + 1)]
    assert _code(questions.add, event, "many_choices", "Pick", options=many) == (
        "question_too_many_options"
    )
    for i in range(questions.MAX_QUESTIONS):
        questions.add(event, "short_text", f"Question {i}")
    assert _code(questions.add, event, "short_text", "One more") == "too_many_questions"
    assert _code(questions.get, event, "nope") == "question_not_found"


def test_words_read_by_everyone_hold_no_direction_override(event):
    override = "Vegan\u202eetats"
    assert _code(questions.add, event, "short_text", override) == "text_direction_control"
    code = _code(questions.add, event, "one_choice", "Diet", options=["None", override])
    assert code == "text_direction_control"


def test_csv_has_a_column_per_question_with_formulas_neutralised(event, asked):
    ids = {kind: q.id for kind, q in asked.items()}
    questions.update(event, ids["short_text"], "=Company", required=False)
    values = _clean(
        event,
        {ids["short_text"]: "=HYPERLINK(1)", ids["one_choice"]: "None", ids["checkbox"]: "y"},
    )
    rsvp_answers.answer(event, make_user(name="Ana"), True, rsvp_answers.Answers(questions=values))
    db.session.commit()
    rows = list(csv.reader(io.StringIO(attendees.to_csv(event, attendees.roster(event)))))
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[-5:] == [
        "'=Company",
        "Anything we should know?",
        "Dietary needs",
        "Topics",
        "I accept the code of conduct",
    ]
    assert row["'=Company"] == "'=HYPERLINK(1)"
    assert row["Dietary needs"] == "None" and row["I accept the code of conduct"] == "yes"
    assert row["Topics"] == ""


def test_a_series_shares_its_questions_with_the_dates_to_come(app):
    from datetime import UTC, datetime

    from meetup.models import Event
    from meetup.services.events import editing
    from meetup.services.events import series as series_svc

    now = datetime(2027, 1, 2, 9, 0, tzinfo=UTC)
    organizer = make_user()
    group = make_group(organizer)
    first = datetime(2027, 1, 7, 19, 0)
    data = editing.EventInput(
        title="Rust Paris weekly",
        timezone="Europe/Paris",
        starts_local=first,
        ends_local=first + timedelta(hours=2),
        venue_name="La Cantine",
    )
    series = series_svc.create_series(group, organizer, data, frequency="weekly", count=20, now=now)
    dates = lambda: list(  # noqa: E731
        db.session.scalars(
            db.select(Event).where(Event.series_id == series.id).order_by(Event.series_index)
        )
    )
    made = dates()
    assert 2 < len(made) < 20 and all(e.questions is None for e in made)
    question = questions.add(made[0], "checkbox", "I accept the code of conduct", required=True)
    assert questions.share_with_series(made[0], now) == len(made) - 1
    db.session.commit()
    assert all(questions.questions_of(e) == [question] for e in dates())
    # New dates, made later, ask what the latest date asks.
    later = series_svc.extend(series, now=now + timedelta(days=60))
    db.session.commit()
    assert later and all(questions.questions_of(e) == [question] for e in later)
    assert _code(questions.share_with_series, make_event(group), now) == "question_not_in_series"
