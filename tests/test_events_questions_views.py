"""Questions at RSVP over HTTP: the organizer's page (organizers only, CSRF), answering in the
RSVP form, the signed-out link keeping answers, the attendee list and its CSV (formulas
neutralised, organizers only) with a query count that doesn't grow."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Event, OutboxMessage, Rsvp, User, utcnow
from meetup.services.events import questions
from tests.factories import (
    count_queries,
    csrf_in,
    make_event,
    make_group,
    make_rsvp,
    make_user,
)


@pytest.fixture
def org(app):
    return make_user(name="Olga Organizer")


@pytest.fixture
def event(org):
    return make_event(make_group(org), capacity=5, title="Rust & Coffee")


@pytest.fixture
def asked(event):
    diet = questions.add(
        event, "one_choice", "Dietary needs", required=True, options=["None", "Vegan"]
    )
    coc = questions.add(event, "checkbox", "I accept the code of conduct", required=True)
    company = questions.add(event, "short_text", "Which company?")
    db.session.commit()
    return diet, coc, company


def _event(event) -> Event:
    db.session.expire_all()
    return db.session.get(Event, event.id)


def _rsvp_of(event, user) -> Rsvp | None:
    db.session.expire_all()
    return db.session.scalar(select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.user_id == user.id))


# ------------------------------------------------------------------ the organizer's page


def test_the_organizer_adds_edits_moves_and_removes_questions(client, login, csrf_on, org, event):
    login(client, org)
    page = client.get(f"/e/{event.key}/questions")
    assert page.status_code == 200 and "No questions yet" in page.get_data(as_text=True)
    token = csrf_in(page.get_data(as_text=True))
    path = f"/e/{event.key}/questions"
    body = {"kind": "one_choice", "label": "Dietary needs", "options": "None\nVegan\n\n"}
    assert client.post(path, data=body).status_code == 400  # no CSRF token
    assert _event(event).questions is None
    resp = client.post(path, data={**body, "required": "y", "csrf_token": token})
    assert resp.status_code == 303
    client.post(path, data={"kind": "short_text", "label": "Which company?", "csrf_token": token})
    first, second = questions.questions_of(_event(event))
    assert (first.label, first.options, first.required) == ("Dietary needs", ["None", "Vegan"], 1)
    # Refusals come back next to the field, with what was typed, and write nothing.
    one_option = {"kind": "one_choice", "label": "Pick one", "options": "Only"}
    resp = client.post(path, data={**one_option, "csrf_token": token})
    assert resp.status_code == 400
    assert "Give at least two different choices." in resp.get_data(as_text=True)
    assert 'value="Pick one"' in resp.get_data(as_text=True)
    resp = client.post(path, data={"kind": "essay", "label": "x", "csrf_token": token})
    assert resp.status_code == 400 and len(questions.questions_of(_event(event))) == 2
    # Edit: new words and choices, the kind stays.
    edit = f"{path}/{first.id}/edit"
    assert "Dietary needs" in client.get(edit).get_data(as_text=True)
    resp = client.post(
        edit,
        data={"label": "Diet", "options": "None\nHalal", "kind": "short_text", "csrf_token": token},
    )
    assert resp.status_code == 303
    first = questions.get(_event(event), first.id)
    assert (first.label, first.kind, first.options, first.required) == (
        "Diet",
        "one_choice",
        ["None", "Halal"],
        False,
    )
    # Reorder, then remove.
    client.post(f"{path}/{second.id}/move", data={"direction": "up", "csrf_token": token})
    assert [q.label for q in questions.questions_of(_event(event))] == ["Which company?", "Diet"]
    assert client.post(f"{path}/{first.id}/remove", data={}).status_code == 400  # no token
    assert client.post(f"{path}/{first.id}/remove", data={"csrf_token": token}).status_code == 303
    assert [q.label for q in questions.questions_of(_event(event))] == ["Which company?"]
    assert client.get(f"{path}/{first.id}/edit").status_code == 404
    # The organizer reaches the page from the event's page.
    assert f'href="/e/{event.key}/questions"' in client.get(f"/e/{event.key}").get_data(
        as_text=True
    )


def test_only_the_events_organizers_edit_its_questions(client, login, event, asked):
    diet = asked[0]
    other_org = make_user()
    make_event(make_group(other_org))
    member = make_user()
    make_rsvp(event, member)
    base = f"/e/{event.key}/questions"
    for who in (other_org, member):
        login(client, who)
        assert client.get(base).status_code == 403
        assert client.post(base, data={"kind": "short_text", "label": "x"}).status_code == 403
        assert client.post(f"{base}/{diet.id}/remove").status_code == 403
        assert client.post(f"{base}/{diet.id}/edit", data={"label": "x"}).status_code == 403
        assert client.get(f"/e/{event.key}/attendees.csv").status_code == 403
    assert len(questions.questions_of(_event(event))) == 3
    # Signed out: sent to sign in.
    client.get("/logout")
    with client.session_transaction() as session:
        session.clear()
    assert client.get(base).status_code in (302, 401)
    # A members-only event is a 404 to outsiders, as for a key that doesn't exist.
    event.visibility = "members"
    db.session.commit()
    login(client, other_org)
    assert client.get(base).status_code == 404


# ------------------------------------------------------------------ answering


def test_going_asks_the_questions_in_the_same_form(client, login, event, asked):
    diet, coc, company = asked
    ana = make_user(name="Ana")
    login(client, ana)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    panel = page[page.index('id="rsvp"') :]
    assert "Dietary needs" in panel and "I accept the code of conduct" in panel
    assert f'name="q_{diet.id}"' in panel and "(optional)" in panel
    path = f"/e/{event.key}/rsvp"
    # A bare Going is refused while required questions are unanswered.
    assert client.post(path, data={"answer": "going"}).status_code == 400
    # The form's problems come back next to each question, what was typed kept.
    bad = {
        "answer": "going",
        "questions": "1",
        f"q_{diet.id}": "Pizza",
        f"q_{company.id}": "Acme & Co",
    }
    resp = client.post(path, data=bad)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Choose one of the options shown." in body and "Tick this box to RSVP." in body
    assert 'value="Acme &amp; Co"' in body
    # The cursor lands on the first question with a problem (its first option), and only there.
    assert body.count(" autofocus") == 1
    assert re.search(rf'name="q_{diet.id}" value="None"[^>]*autofocus', body)
    assert _rsvp_of(event, ana) is None  # nothing half-written
    good = {**bad, f"q_{diet.id}": "Vegan", f"q_{coc.id}": "y"}
    assert client.post(path, data=good).status_code == 303
    rsvp = _rsvp_of(event, ana)
    assert rsvp.status == "going"
    assert rsvp.question_answers == {diet.id: "Vegan", coc.id: True, company.id: "Acme & Co"}
    # Going: the answers can be changed from the panel until the deadline.
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "Your answers to the organizers’ questions" in page
    good[f"q_{diet.id}"] = "None"
    del good[f"q_{company.id}"]
    assert client.post(path, data=good).status_code == 303
    assert _rsvp_of(event, ana).question_answers == {diet.id: "None", coc.id: True}
    event.rsvp_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "Answers can no longer change." in page and f'name="q_{diet.id}"' not in page
    resp = client.post(path, data={**good, f"q_{diet.id}": "Vegan"})
    assert resp.status_code == 409
    assert _rsvp_of(event, ana).question_answers[diet.id] == "None"


def test_no_questions_no_extra_fields(client, login, event):
    login(client, make_user())
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert 'name="questions"' not in page and "rsvp-questions" not in page


def test_signed_out_answers_are_kept_through_the_emailed_link(client, event, asked):
    diet, coc, company = asked
    path = f"/e/{event.key}/rsvp"
    base = {"answer": "going", "name": "Bea", "email": "bea@example.org", "questions": "1"}
    resp = client.post(path, data=base)  # the questions are asked before sign-in too
    assert resp.status_code == 400 and "Please answer this question." in resp.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "bea@example.org")) is None
    data = {**base, f"q_{diet.id}": "Vegan", f"q_{coc.id}": "y", f"q_{company.id}": "Acme"}
    assert client.post(path, data=data).status_code == 303
    bea = db.session.scalar(select(User).where(User.email == "bea@example.org"))
    pending = _rsvp_of(event, bea)
    assert pending.status == "pending" and pending.question_answers[diet.id] == "Vegan"
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addr == bea.email))
    link = re.search(r"http://localhost(/rsvp/confirm/\S+)", mail.body_text).group(1)
    assert client.post(link).status_code == 303
    rsvp = _rsvp_of(event, bea)
    assert rsvp.status == "going"
    assert rsvp.question_answers == {diet.id: "Vegan", coc.id: True, company.id: "Acme"}


def test_a_signed_out_person_who_said_cant_go_before_keeps_the_links_answers(client, event, asked):
    """An existing row is left as it is until the link is used: the link carries them."""
    diet, coc, _company = asked
    bea = make_user(email="bea@example.org", name="Bea")
    make_rsvp(event, bea, status="not_going")
    data = {
        "answer": "going",
        "name": "Bea",
        "email": "bea@example.org",
        "questions": "1",
        f"q_{diet.id}": "None",
        f"q_{coc.id}": "y",
    }
    assert client.post(f"/e/{event.key}/rsvp", data=data).status_code == 303
    assert _rsvp_of(event, bea).question_answers is None
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addr == bea.email))
    link = re.search(r"http://localhost(/rsvp/confirm/\S+)", mail.body_text).group(1)
    assert client.post(link).status_code == 303
    assert _rsvp_of(event, bea).question_answers == {diet.id: "None", coc.id: True}


# ------------------------------------------------------------------ organizers read them


def _answer(event, asked, user, diet="Vegan", company="") -> None:
    values = {asked[0].id: diet, asked[1].id: True}
    if company:
        values[asked[2].id] = company
    make_rsvp(event, user, question_answers=values)


def test_answers_on_the_attendee_list_and_csv_for_organizers_only(client, login, org, event, asked):
    _answer(event, asked, make_user(name="Ana"), company='=HYPERLINK("http://x")')
    _answer(event, asked, make_user(name="Ben"), diet="None")
    login(client, org)
    page = client.get(f"/e/{event.key}/attendees").get_data(as_text=True)
    assert "Dietary needs" in page and "Vegan" in page and "I accept the code of conduct" in page
    rows = list(csv.DictReader(io.StringIO(client.get(f"/e/{event.key}/attendees.csv").text)))
    by_name = {r["name"]: r for r in rows}
    assert by_name["Ana"]["Which company?"] == '\'=HYPERLINK("http://x")'
    assert by_name["Ben"]["Dietary needs"] == "None" and by_name["Ben"]["Which company?"] == ""
    assert by_name["Ana"]["I accept the code of conduct"] == "yes"
    # Never shown to other attendees, nor on the public page.
    ana = db.session.scalar(select(User).where(User.name == "Ana"))
    login(client, ana)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "HYPERLINK" in page  # her own answer, in her own form
    ben = db.session.scalar(select(User).where(User.name == "Ben"))
    login(client, ben)
    assert "HYPERLINK" not in client.get(f"/e/{event.key}").get_data(as_text=True)
    assert client.get(f"/e/{event.key}/attendees").status_code == 403


def test_the_attendee_list_reads_the_answers_without_a_query_per_person(
    client, login, org, event, asked
):
    login(client, org)
    counts = []
    for n in (2, 30):
        while len(db.session.scalars(select(Rsvp)).all()) < n:
            _answer(event, asked, make_user(), company="Acme")
        for path in (f"/e/{event.key}/attendees", f"/e/{event.key}/attendees.csv"):
            client.get(path)  # warm caches
            with count_queries() as seen:
                assert client.get(path).status_code == 200
            counts.append(len(seen))
    assert counts[:2] == counts[2:], counts


def test_an_announcements_one_tap_going_sends_to_the_questions(client, event, asked):
    from meetup.services.events import announcements

    cy = make_user(name="Cy")
    token = announcements.answer_token(event.id, cy.id)
    page = client.get(f"/m/answer/{token}?answer=going").get_data(as_text=True)
    assert "Answer and RSVP" in page and "Confirm: I'm going" not in page
    # The button's POST, sent anyway, is refused with the reason; nothing is written.
    resp = client.post(f"/m/answer/{token}", data={"answer": "going"})
    assert resp.status_code == 400 and "answer them on its page" in resp.get_data(as_text=True)
    assert _rsvp_of(event, cy) is None
    # Can't go needs no answers.
    assert "Confirm: I can't go" in client.get(f"/m/answer/{token}?answer=not_going").text


def test_copy_to_a_new_event_brings_the_questions(client, login, org, event, asked):
    from tests.test_events import form_data

    login(client, org)
    slug = event.group.slug
    page = client.get(f"/g/{slug}/events/new?like={event.key}").get_data(as_text=True)
    assert "Its questions at RSVP come too." in page
    assert f'name="like" value="{event.key}"' in page
    # A refusal first: the copy still knows where it came from.
    bad = client.post(f"/g/{slug}/events/new", data=form_data(title="", like=event.key))
    assert bad.status_code == 400 and f'name="like" value="{event.key}"' in bad.text
    resp = client.post(f"/g/{slug}/events/new", data=form_data(title="Next one", like=event.key))
    assert resp.status_code == 302
    copy = db.session.scalar(select(Event).where(Event.title == "Next one"))
    assert copy.questions == _event(event).questions and len(copy.questions) == 3
    # Another group's event is no model: nothing is copied from it.
    theirs = make_event(make_group(make_user()), title="Theirs")
    questions.add(theirs, "short_text", "Secret question")
    db.session.commit()
    client.post(f"/g/{slug}/events/new", data=form_data(title="Plain", like=theirs.key))
    assert db.session.scalar(select(Event).where(Event.title == "Plain")).questions is None


def test_the_organizer_shares_the_questions_with_the_series(client, login, org, event, asked):
    from meetup.models import Series

    page = f"/e/{event.key}/questions"
    login(client, org)
    assert "Ask these on the dates to come" not in client.get(page).text  # not in a series
    assert client.post(f"{page}/series").status_code == 409
    series = Series(
        key="s" + event.key[:20], group_id=event.group_id, frequency="weekly",
        first_start_local=event.starts_at.replace(tzinfo=None), template={},
    )  # fmt: skip
    db.session.add(series)
    db.session.flush()
    later = make_event(event.group, starts_at=event.starts_at + timedelta(days=7))
    event.series_id, later.series_id = series.id, series.id
    event.series_index, later.series_index = 0, 1
    db.session.commit()
    assert "Ask these on the dates to come" in client.get(page).text
    resp = client.post(f"{page}/series", follow_redirects=True)
    assert "The next date of the series asks these questions too." in resp.text
    assert _event(later).questions == _event(event).questions
