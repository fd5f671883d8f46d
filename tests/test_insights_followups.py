"""Follow-ups by attendance, through the outbox and a real SMTP server: "thanks for coming"
with a feedback link to those who came, "sorry we missed you" with the next event to
no-shows; off by default, once per person. The feedback the link collects is shown to
organizers in aggregate, without names."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from meetup.extensions import db
from meetup.models import EventFeedback, OutboxMessage, Rsvp, utcnow
from meetup.services.insights import followups
from meetup.worker import jobs
from tests.factories import add_member, make_event, make_group, make_rsvp, make_user


def _event_that_ended(group, **kw):
    start = utcnow().replace(microsecond=0) - timedelta(hours=5)
    return make_event(group, title="Data night", starts_at=start, **kw)


@pytest.fixture
def setting(app):
    return _setting_in(app)


def test_each_person_gets_their_follow_up_once_over_smtp(make_app, smtp_server):
    port, inbox = smtp_server
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        _, _, people, event, _ = _setting_in(app)
        came, no_show = people["a"].email, people["b"].email
        for _ in range(2):  # a second pass sends nothing more
            result = app.test_cli_runner().invoke(args=["worker", "--once"])
            assert result.exit_code == 0, result.output
    by_to = {m["To"].addresses[0].addr_spec: m for m in inbox.messages}
    assert set(by_to) == {came, no_show}
    thanks, missed = by_to[came], by_to[no_show]
    assert thanks["Subject"] == "Thanks for coming to Data night"
    assert re.search(r"/feedback/\S+", thanks.get_body(("plain",)).get_content())
    assert missed["Subject"] == "Sorry we missed you at Data night"
    text = missed.get_body(("plain",)).get_content()
    assert "Spring talks" in text and "/feedback/" not in text


def _setting_in(app):
    """a came, b didn't (a no-show), c waited, d said no; the group meets again in 20 days."""
    organizer = make_user(name="Olga")
    group = make_group(organizer)
    people = {k: make_user(name=f"Person {k}") for k in "abcd"}
    for person in people.values():
        add_member(group, person)
    event = _event_that_ended(group, followup_thanks=True, followup_missed=True)
    make_rsvp(event, people["a"], checked_in_at=event.starts_at)
    make_rsvp(event, people["b"])
    make_rsvp(event, people["c"], "waitlisted")
    make_rsvp(event, people["d"], "not_going")
    make_event(group, title="Spring talks", starts_at=utcnow() + timedelta(days=20))
    return organizer, group, people, event, None


def test_off_by_default_and_not_before_the_event_has_ended(app):
    group = make_group(make_user())
    quiet = _event_that_ended(group)
    make_rsvp(quiet, make_user(), checked_in_at=quiet.starts_at)
    start = utcnow() - timedelta(hours=1)
    running = make_event(group, starts_at=start, followup_thanks=True, followup_missed=True)
    make_rsvp(running, make_user(), checked_in_at=start)
    assert jobs.run_jobs(jobs=[followups.send_followups]) == {"send_followups": 0}
    later = running.ends_at + followups.FOLLOWUP_DELAY
    assert jobs.run_jobs(now=later, jobs=[followups.send_followups]) == {"send_followups": 1}


def test_only_thanks_when_only_thanks_is_on(app):
    group = make_group(make_user())
    event = _event_that_ended(group, followup_thanks=True)
    make_rsvp(event, make_user(), checked_in_at=event.starts_at)
    make_rsvp(event, make_user())
    assert jobs.run_jobs(jobs=[followups.send_followups]) == {"send_followups": 1}


def _feedback_path(setting) -> str:
    _, _, people, event, _ = setting
    jobs.run_jobs(jobs=[followups.send_followups])

    body = db.session.scalar(
        db.select(OutboxMessage.body_text).where(OutboxMessage.to_addr == people["a"].email)
    )
    return re.search(r"(/feedback/\S+)", body).group(1)


def test_feedback_from_the_link_is_shown_to_organizers_without_names(setting, client, login):
    organizer, _, people, event, _ = setting
    path = _feedback_path(setting)
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert client.post(path, data={"rating": "9"}).status_code == 400
    assert client.post(path, data={"comment": "no rating"}).status_code == 400
    done = client.post(path, data={"rating": "4", "comment": "More time to talk, please"})
    assert done.status_code == 200
    client.post(path, data={"rating": "5", "comment": "Great talks"})  # replaces the first
    assert db.session.query(EventFeedback).count() == 1
    login(client, organizer)
    html = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "1 answer, rated 5.0 out of 5 on average." in html
    assert "Great talks" in html and "More time to talk" not in html
    section = html[html.index("How it went") :]
    assert people["a"].name not in section
    login(client, people["b"])
    assert "Great talks" not in client.get(f"/e/{event.key}").get_data(as_text=True)


def test_a_feedback_link_works_only_for_someone_who_came(setting, client):
    _, _, people, event, _ = setting
    assert client.get("/feedback/not-a-token").status_code == 404
    no_show = db.session.query(Rsvp).filter_by(user_id=people["b"].id).one()
    assert client.get(f"/feedback/{followups.feedback_token(no_show)}").status_code == 404
    came = db.session.query(Rsvp).filter_by(user_id=people["a"].id).one()
    tampered = followups.feedback_token(came)[:-2] + "xx"
    assert client.get(f"/feedback/{tampered}").status_code == 404


def test_the_event_form_turns_them_on(app):
    from meetup.services.events import editing

    organizer = make_user()
    group = make_group(organizer)
    start = (utcnow() + timedelta(days=3)).replace(tzinfo=None, second=0, microsecond=0)
    data = editing.EventInput(
        title="Talks",
        timezone="UTC",
        starts_local=start,
        ends_local=start + timedelta(hours=2),
        followup_thanks=True,
    )
    event = editing.create_event(group, organizer, data)
    assert (event.followup_thanks, event.followup_missed) == (True, False)
    plain = editing.EventInput("Plain", "UTC", start, start + timedelta(hours=1))
    plain = editing.create_event(group, organizer, plain)
    assert (plain.followup_thanks, plain.followup_missed) == (False, False)


def test_follow_ups_are_worded_in_each_persons_language(setting):
    """Queued by the worker, which speaks no one's language: the subject and the next
    event's date are in the recipient's."""
    _, _, people, event, _ = setting
    people["a"].locale = people["b"].locale = "fr"
    db.session.commit()
    jobs.run_jobs(jobs=[followups.send_followups])
    sent = dict(db.session.execute(db.select(OutboxMessage.to_addr, OutboxMessage)).all())
    assert sent[people["a"].email].subject == "Merci d'être venu à Data night"
    missed = sent[people["b"].email]
    assert missed.subject == "Dommage de vous avoir manqué à Data night"
    days = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
    assert re.search(rf"Spring talks, ({days}) \d+ ", missed.body_text), missed.body_text
