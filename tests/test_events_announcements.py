"""Announcing an event to the group by email: the tap records it, the worker queues and sends
it once per person through a real SMTP server, and one-tap answers need no sign-in."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from meetup.extensions import db
from meetup.models import Announcement, Membership, OutboxMessage, Rsvp
from meetup.services.events import announcements
from meetup.services.mail import consent
from meetup.worker import deliver_due, jobs
from tests.factories import add_member, make_event, make_group, make_rsvp, make_user


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _setup(capacity=None):
    org = make_user("org@example.org", name="Olga")
    group = make_group(org, name="Rust Paris")
    people = [make_user(f"p{i}@example.org", name=f"Person {i}") for i in range(4)]
    for person in people:
        add_member(group, person)
    event = make_event(group, title="Rust night", capacity=capacity)
    return org, group, people, event


def _run_jobs():
    return jobs.run_jobs(jobs=[announcements.queue_announcements])


def test_announcing_queues_once_per_person_and_sends_one_tap_answers(smtp_app, login):
    app, inbox = smtp_app
    client = app.test_client()
    org, group, people, event = _setup()
    no_thanks = consent.membership_by_token(
        "unsubscribe", consent.member_token("unsubscribe", group.id, people[3].id)
    )
    consent.unsubscribe(no_thanks)
    db.session.commit()

    login(client, org)
    preview = client.get(f"/e/{event.key}/announce")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "Send to 4 people" in page  # the organizer and three members; one opted out
    assert client.post(f"/e/{event.key}/announce", data={"kind": "event"}).status_code == 303
    client.post(f"/e/{event.key}/announce", data={"kind": "event"})  # tapped twice
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # not yet
    waiting = client.get(f"/e/{event.key}/announce").get_data(as_text=True)
    assert "Getting the emails ready" in waiting and 'http-equiv="refresh"' in waiting

    assert _run_jobs() == {"queue_announcements": 4}
    assert _run_jobs() == {"queue_announcements": 0}
    assert "Sent to 4 people" in client.get(f"/e/{event.key}/announce").get_data(as_text=True)
    assert deliver_due().sent == 4
    received = {m["To"].addresses[0].addr_spec: m for m in inbox.messages}
    assert set(received) == {"org@example.org"} | {f"p{i}@example.org" for i in range(3)}
    msg = received["p0@example.org"]
    assert msg["Subject"] == "Rust Paris: Rust night"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["List-Id"].endswith(f"<{group.slug}.localhost>")
    assert msg["List-Unsubscribe"].startswith("<http://localhost/m/unsubscribe/")
    text = msg.get_body(("plain",)).get_content()
    assert f"http://localhost/e/{event.key}?via=email" in text
    html = msg.get_body(("html",)).get_content()
    assert "Hi Person 0," in text and "Hi Person 0," in html
    assert "answer=going&amp;via=email" in html  # each person's links, escaped in the HTML
    going = re.search(r"http://localhost/m/answer/\S+answer=going\S*", text).group(0)
    assert "via=email" in going

    signed_out = app.test_client()
    confirm = signed_out.get(_path(going))  # a scanner's prefetch changes nothing
    assert confirm.status_code == 200 and confirm.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(select(func.count()).select_from(Rsvp)) == 0
    for _ in range(2):  # tapped twice: one RSVP
        done = signed_out.post(_path(going), data={"answer": "going"})
        assert "You’re going!" in done.get_data(as_text=True)
    db.session.expire_all()
    rsvps = db.session.scalars(select(Rsvp)).all()
    assert [(r.user_id, r.status) for r in rsvps] == [(people[0].id, "going")]
    forged = _path(going).replace("/m/answer/", "/m/answer/x")
    assert signed_out.post(forged, data={"answer": "going"}).status_code == 404


def test_follow_ups_go_only_to_those_who_have_not_answered(app):
    org, group, people, event = _setup(capacity=10)
    make_rsvp(event, people[0])
    make_rsvp(event, people[1], status="not_going")
    assert announcements.available_kinds(event) == ["event", "few_seats"]
    announcements.announce(event, org, "few_seats")
    db.session.commit()
    _run_jobs()
    to = set(db.session.scalars(select(OutboxMessage.to_addr)))
    assert to == {"org@example.org", "p2@example.org", "p3@example.org"}
    row = db.session.scalar(select(Announcement))
    assert (row.status, row.queued, row.total) == ("done", 3, 3)


def test_a_bounced_address_gets_no_announcement(app):
    org, group, people, event = _setup()
    people[2].mail_undeliverable_at = people[2].created_at
    db.session.commit()
    announcements.announce(event, org)
    db.session.commit()
    _run_jobs()
    assert "p2@example.org" not in set(db.session.scalars(select(OutboxMessage.to_addr)))


def test_only_organizers_announce(app, client, login):
    org, group, people, event = _setup()
    login(client, people[0])
    assert client.get(f"/e/{event.key}/announce").status_code == 403
    assert client.post(f"/e/{event.key}/announce", data={"kind": "event"}).status_code == 403
    login(client, org)
    bad = client.post(f"/e/{event.key}/announce", data={"kind": "waitlist_open"})
    assert bad.status_code == 400


def test_a_first_one_tap_answer_records_that_it_came_through_email(app):
    """The RSVP made by a one-tap link carries the channel "email", and so does the
    membership of someone who had none (an imported person); an earlier answer keeps its
    own (none), and a membership's channel is never replaced."""
    org, group, people, event = _setup()
    imported, invited, earlier = people[0], people[1], people[2]
    db.session.execute(
        update(Membership).where(Membership.user_id == invited.id).values(channel="slack-general")
    )
    make_rsvp(event, earlier, status="not_going")
    db.session.commit()
    client = app.test_client()
    for person in (imported, invited, earlier):
        token = announcements.answer_token(event.id, person.id)
        url = _path(announcements.answer_url(token, "going"))
        assert client.post(url, data={"answer": "going"}).status_code == 200
    db.session.expire_all()
    rsvps = {r.user_id: r.channel for r in db.session.scalars(select(Rsvp))}
    assert rsvps == {imported.id: "email", invited.id: "email", earlier.id: None}
    joined = {
        m.user_id: m.channel
        for m in db.session.scalars(select(Membership).where(Membership.group_id == group.id))
    }
    assert joined[imported.id] == "email" and joined[invited.id] == "slack-general"
    assert joined[earlier.id] is None  # it didn't come through the email
