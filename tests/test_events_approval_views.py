"""Approval-required events over HTTP: asking, the requester's page, the organizer's list
(permissions, CSRF, many at once), the address kept for seats (page, .ics, feeds), and the
approval and decline emails as they arrive over real SMTP."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Event, OutboxMessage, Rsvp, User
from meetup.services.events import answers, approval
from tests.factories import add_member, csrf_in, make_event, make_group, make_user
from tests.ical_check import parse
from tests.test_door_ticket_emails import deliver, received_by

ADDRESS = "9 Secret Courtyard, Paris"


@pytest.fixture
def organizer(app):
    return make_user("olga@example.org", name="Olga")


@pytest.fixture
def event(organizer):
    group = make_group(organizer, slug="founders")
    return make_event(
        group,
        title="Founders dinner",
        capacity=1,
        requires_approval=True,
        hide_address=True,
        venue_name="Le Comptoir",
        venue_address=ADDRESS,
    )


def _member(event, name: str) -> User:
    user = make_user(f"{name.lower()}@example.org", name=name)
    add_member(event.group, user)
    return user


def _status(event, user) -> str:
    db.session.expire_all()
    return db.session.scalar(
        select(Rsvp.status).where(Rsvp.event_id == event.id, Rsvp.user_id == user.id)
    )


def _location(data: bytes) -> str | None:
    [vevent] = list(parse(data).walk("VEVENT"))
    return str(vevent["LOCATION"]) if "LOCATION" in vevent else None


def test_a_member_asks_sees_request_sent_and_withdraws(client, login, event):
    ana = _member(event, "Ana")
    login(client, ana)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "Ask to join" in page and "Join the waitlist" not in page
    assert client.post(f"/e/{event.key}/rsvp", data={"answer": "going"}).status_code == 303
    assert _status(event, ana) == "requested"
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "Request sent: the organizer will confirm" in page
    assert "Withdraw my request" in page and "Show my ticket" not in page
    assert client.post(f"/e/{event.key}/rsvp", data={"answer": "not_going"}).status_code == 303
    assert _status(event, ana) == "not_going"


def test_signed_out_asker_confirms_a_request_not_a_seat(client, event):
    event.visibility = "public"
    db.session.commit()
    client.post(
        f"/e/{event.key}/rsvp", data={"answer": "going", "name": "Bea", "email": "bea@example.org"}
    )
    mail = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.to_addr == "bea@example.org")
    )
    assert mail.subject == "Confirm your request: Founders dinner"
    assert "The organizer approves each RSVP" in mail.body_text and ADDRESS not in mail.body_text
    link = re.search(r"http://localhost(/rsvp/confirm/\S+)", mail.body_text).group(1)
    page = client.get(link).get_data(as_text=True)
    assert "Confirm your request" in page and "Confirm my request" in page
    assert client.post(link).status_code == 303
    bea = db.session.scalar(select(User).where(User.email == "bea@example.org"))
    assert _status(event, bea) == "requested"
    # The link used again (the page was lost): where the answer left them.
    again = client.post(link).get_data(as_text=True)
    assert "Request sent" in again and "already used" in again


def test_only_organizers_see_and_decide_requests(client, login, event, organizer):
    ana, ben = _member(event, "Ana"), _member(event, "Ben")
    for person in (ana, ben):
        answers.answer(event, person, True)
    db.session.commit()
    ids = [r.rsvp.id for r in approval.requests(event)]
    # The organizer's CSV lists requests by their status.
    login(client, organizer)
    csv = client.get(f"/e/{event.key}/attendees.csv").get_data(as_text=True)
    assert csv.count(",requested,") == 2
    with client.session_transaction() as session:
        session.clear()
    # Signed out: sign in first; a member: refused; nothing is decided.
    assert client.get(f"/e/{event.key}/requests").status_code in (302, 303)
    login(client, ana)
    assert client.get(f"/e/{event.key}/requests").status_code == 403
    resp = client.post(f"/e/{event.key}/requests", data={"action": "approve", "ids": ids})
    assert resp.status_code == 403 and _status(event, ben) == "requested"

    login(client, organizer)
    shown = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "2 requests waiting for you" in shown
    page = client.get(f"/e/{event.key}/requests").get_data(as_text=True)
    assert "Ana" in page and "Ben" in page and "New to this group" in page
    resp = client.post(f"/e/{event.key}/requests", data={"action": "approve", "ids": ids})
    assert resp.status_code == 303
    # One seat: the first to ask has it, the other waits.
    assert (_status(event, ana), _status(event, ben)) == ("going", "waitlisted")
    flash = client.get(f"/e/{event.key}/requests").get_data(as_text=True)
    assert "2 approved" in flash and "1 on the waitlist" in flash
    csv = client.get(f"/e/{event.key}/attendees.csv").get_data(as_text=True)
    assert ",going," in csv and ",waitlisted," in csv


def test_a_bad_decision_is_a_400(client, login, event, organizer):
    login(client, organizer)
    for data in ({"action": "maybe", "ids": ["1"]}, {"one": "approve:x"}, {"action": "approve"}):
        assert client.post(f"/e/{event.key}/requests", data=data).status_code == 400


def test_deciding_needs_the_csrf_token(csrf_on, client, login, event, organizer):
    ana = _member(event, "Ana")
    answers.answer(event, ana, True)
    db.session.commit()
    rsvp_id = approval.requests(event)[0].rsvp.id
    login(client, organizer)
    resp = client.post(f"/e/{event.key}/requests", data={"one": f"approve:{rsvp_id}"})
    assert resp.status_code == 400 and _status(event, ana) == "requested"
    token = csrf_in(client.get(f"/e/{event.key}/requests").get_data(as_text=True))
    resp = client.post(
        f"/e/{event.key}/requests", data={"one": f"approve:{rsvp_id}", "csrf_token": token}
    )
    assert resp.status_code == 303 and _status(event, ana) == "going"


def test_the_address_is_kept_for_seats_on_the_page_ics_and_feeds(client, login, event):
    event.visibility = "public"
    db.session.commit()
    ana, ben = _member(event, "Ana"), _member(event, "Ben")

    # The public: the venue's name only, in the page, its link card text, the .ics, the feed.
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "Secret" not in page and "Le Comptoir" in page  # nor in calendar links, encoded
    assert "The address is shared once you are approved." in page
    assert _location(client.get(f"/e/{event.key}/event.ics").data) == "Le Comptoir"
    assert _location(client.get("/g/founders/calendar.ics").data) == "Le Comptoir"

    # Asked: still hidden, on every calendar link of the page too.
    for person in (ana, ben):
        answers.answer(event, person, True)
    db.session.commit()
    login(client, ana)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert ADDRESS not in page and "Secret" not in page

    # Approved: Ana has the seat and sees it everywhere; Ben, approved onto the waitlist, not.
    approval.approve(event, [r.rsvp.id for r in approval.requests(event)])
    db.session.commit()
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert ADDRESS in page
    ana_rsvp = db.session.scalar(select(Rsvp).where(Rsvp.user_id == ana.id))
    assert _location(client.get(f"/t/{ana_rsvp.ticket_token}/event.ics").data).endswith(ADDRESS)
    assert _location(client.get(f"/cal/{ana.feed_token}.ics").data).endswith(ADDRESS)
    assert _location(client.get(f"/cal/{ben.feed_token}.ics").data) == "Le Comptoir"
    login(client, ben)
    assert ADDRESS not in client.get(f"/e/{event.key}").get_data(as_text=True)
    # The public file stays as it was.
    assert _location(client.get(f"/e/{event.key}/event.ics").data) == "Le Comptoir"


def test_approval_and_decline_emails_over_smtp(smtp_app):
    app, inbox = smtp_app
    organizer = make_user("olga@example.org", name="Olga")
    event = make_event(
        make_group(organizer),
        title="Founders dinner",
        capacity=5,
        requires_approval=True,
        hide_address=True,
        venue_name="Le Comptoir",
        venue_address=ADDRESS,
    )
    ana, ben = _member(event, "Ana"), _member(event, "Ben")
    for person in (ana, ben):
        answers.answer(event, person, True)
    db.session.commit()
    deliver(app)
    assert inbox.messages == []  # a request sends nothing yet
    a, b = (r.rsvp.id for r in approval.requests(event))
    approval.approve(event, [a])
    approval.decline(event, [b])
    db.session.commit()
    deliver(app)

    [approved] = received_by(inbox, ana)
    assert approved["Subject"] == "You're going: Founders dinner"
    assert ADDRESS in approved.get_body(("plain",)).get_content()
    parts = {p.get_content_type(): p for p in approved.walk()}
    assert "text/calendar" in parts and "METHOD:REQUEST" in parts["text/calendar"].get_content()

    [declined] = received_by(inbox, ben)
    text = declined.get_body(("plain",)).get_content()
    assert declined["Subject"] == "About your request: Founders dinner"
    assert "Thank you for asking" in text and "couldn’t offer you a place" in text
    assert ADDRESS not in text and "Le Comptoir" in text
    assert not [p for p in declined.walk() if p.get_content_type() == "text/calendar"]


def test_an_organizers_own_answer_needs_no_approval(client, login, event, organizer):
    login(client, organizer)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "Ask to join" not in page
    assert client.post(f"/e/{event.key}/rsvp", data={"answer": "going"}).status_code == 303
    assert _status(event, organizer) == "going"


def test_home_shows_a_request_as_sent(client, login, event):
    ana = _member(event, "Ana")
    answers.answer(event, ana, True)
    db.session.commit()
    login(client, ana)
    home = client.get("/").get_data(as_text=True)
    assert "Founders dinner" in home and "Request sent" in home


def test_the_event_form_turns_approval_and_the_hidden_address_on(client, login, organizer):
    from tests.test_events import form_data

    make_group(organizer, slug="curated")
    login(client, organizer)
    page = client.get("/g/curated/events/new").get_data(as_text=True)
    assert "Organizer approves each RSVP" in page and "Share the address only once approved" in page
    data = form_data(requires_approval="y", hide_address="y")
    assert client.post("/g/curated/events/new", data=data).status_code in (302, 303)
    made = db.session.scalar(select(Event).where(Event.title == "Spring drinks"))
    assert (made.requires_approval, made.hide_address) == (True, True)
    edit = client.get(f"/e/{made.key}/edit").get_data(as_text=True)
    assert re.search(r'<input checked id="requires_approval"', edit)


def test_declining_asks_first_then_emails(client, login, event, organizer):
    ana = _member(event, "Ana")
    answers.answer(event, ana, True)
    db.session.commit()
    rsvp_id = approval.requests(event)[0].rsvp.id
    login(client, organizer)
    asked = client.post(f"/e/{event.key}/requests", data={"one": f"decline:{rsvp_id}"})
    assert asked.status_code == 200 and "Decline 1 request?" in asked.get_data(as_text=True)
    assert _status(event, ana) == "requested"
    done = client.post(
        f"/e/{event.key}/requests",
        data={"action": "decline", "confirmed": "1", "ids": [str(rsvp_id)]},
    )
    assert done.status_code == 303 and _status(event, ana) == "declined"
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == ana.email))
    assert [m.subject for m in mail] == ["About your request: Founders dinner"]
    page = client.get(f"/e/{event.key}/requests").get_data(as_text=True)
    assert "1 declined" in page
    # The organizer changes their mind: approved after all, with a seat.
    assert "Approve after all" in page
    again = client.post(f"/e/{event.key}/requests", data={"one": f"approve:{rsvp_id}"})
    assert again.status_code == 303 and _status(event, ana) == "going"


def test_the_requests_page_query_count_does_not_grow(client, login, event, organizer):
    from tests.factories import count_queries

    login(client, organizer)

    def queries(n: int) -> int:
        for i in range(n):
            answers.answer(event, _member(event, f"P{n}x{i}"), True)
        db.session.commit()
        with count_queries(cold=False) as statements:
            page = client.get(f"/e/{event.key}/requests")
        assert page.status_code == 200
        return len(statements)

    assert queries(1) == queries(12)


def test_a_one_tap_going_from_an_announcement_makes_a_request(client, event):
    from meetup.services.events import announcements

    ana = _member(event, "Ana")
    path = f"/m/answer/{announcements.answer_token(event.id, ana.id)}?answer=going"
    assert "Confirm my request" in client.get(path).get_data(as_text=True)
    done = client.post(path, data={"answer": "going"}).get_data(as_text=True)
    assert "Request sent" in done and "You’re not going" not in done
    assert _status(event, ana) == "requested"


def test_the_announcement_of_an_approval_event_asks_rather_than_answers(client, event):
    """Its one-tap button and the page it opens read as a request, not an RSVP."""
    from meetup.services.events import announcements
    from meetup.worker import jobs

    ana = _member(event, "Ana")
    announcements.announce(event, event.group.memberships[0].user)
    db.session.commit()
    jobs.run_jobs(jobs=[announcements.queue_announcements])
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addr == ana.email))
    written = announcements.write_notice(row.notice, to_name="Ana", subject=row.subject)
    assert "Ask to join:\nhttp://localhost/m/answer/" in written.body_text
    assert "I'm going" not in written.body_text and "I&#39;m going" not in written.body_html
    assert ">Ask to join</a>" in written.body_html
    assert "The organizer approves each RSVP" in written.body_text

    path = f"/m/answer/{announcements.answer_token(event.id, ana.id)}?answer=going"
    page = client.get(path).get_data(as_text=True)
    assert "<h1>Ask to join</h1>" in page and "Confirm my request" in page
    assert "The organizer approves each RSVP" in page
    event.requires_approval = False
    db.session.commit()
    page = client.get(path).get_data(as_text=True)
    assert "Ask to join" not in page and "Confirm: I'm going" in page


def test_once_the_event_has_started_its_requests_are_closed_not_waiting(
    client, login, event, organizer
):
    from datetime import timedelta

    from meetup.models import utcnow

    ana = _member(event, "Ana")
    answers.answer(event, ana, True)
    event.starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    login(client, organizer)
    shown = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "request waiting for you" not in shown and "No request waiting" in shown
    page = client.get(f"/e/{event.key}/requests").get_data(as_text=True)
    assert "This event has started: these requests can no longer be approved." in page
    assert "Ana" in page and 'value="approve:' not in page
    # Ana herself is told where her request stands, on the event page and at home.
    login(client, ana)
    mine = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "was not approved before the event started" in mine
    assert "the organizer will confirm" not in mine
    home = client.get("/").get_data(as_text=True)
    assert "Request closed" in home and "Request sent" not in home
