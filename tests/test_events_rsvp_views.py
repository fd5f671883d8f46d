"""RSVP over HTTP: one tap when signed in, name + email + link when not, bad input, the
organizer's list (capacity, remove, promote, CSV) and query counts that don't grow."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import event as sa_event
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Event, OutboxMessage, Rsvp, User, utcnow
from meetup.services.events import answers
from meetup.services.events import attendees as attendee_list
from meetup.timeutil import format_in_zone
from tests.factories import (
    add_member,
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
    return make_event(make_group(org), capacity=2, title="Rust & Coffee")


def _rsvp_of(event, user) -> Rsvp | None:
    db.session.expire_all()
    return db.session.scalar(select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.user_id == user.id))


def test_signed_in_one_tap_going_then_cant_go(client, login, event):
    ana = login(client, make_user(name="Ana")) and db.session.scalar(
        select(User).where(User.name == "Ana")
    )
    resp = client.post(f"/e/{event.key}/rsvp", data={"answer": "going"})
    assert resp.status_code == 303
    rsvp = _rsvp_of(event, ana)
    assert rsvp.status == "going" and rsvp.ticket_token
    page = client.get(resp.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "going" in page.lower()
    resp = client.post(f"/e/{event.key}/rsvp", data={"answer": "not_going"})
    assert resp.status_code == 303 and _rsvp_of(event, ana).status == "not_going"


def test_an_answer_is_told_by_the_panel_and_leaves_the_session_cookie_alone(
    client, login, csrf_on, event
):
    """The redirect scrolls to the panel, which says how the answer went; the answer itself
    writes no cookie (a 1,000-member burst signs no session)."""
    make_rsvp(event, make_user())
    make_rsvp(event, make_user())  # full: Ana's "Going" puts her on the waitlist
    login(client, make_user(name="Ana"))
    told = {
        "going": "You're number 1 on the waitlist",
        "not_going": "You said you can't go.",
    }
    for answer in ("going", "not_going", "going"):
        csrf = csrf_in(client.get(f"/e/{event.key}").get_data(as_text=True))
        resp = client.post(f"/e/{event.key}/rsvp", data={"answer": answer, "csrf_token": csrf})
        assert resp.status_code == 303 and resp.headers["Location"].endswith("#rsvp")
        assert "Set-Cookie" not in resp.headers, resp.headers["Set-Cookie"]
        page = client.get(resp.headers["Location"]).get_data(as_text=True)
        assert told[answer] in page[page.index('id="rsvp"') :]


def test_signed_out_panel_and_csrf(client, csrf_on, event):
    page = client.get(f"/e/{event.key}/rsvp").get_data(as_text=True)
    assert 'name="email"' in page and "Going: email me a link" in page
    data = {"answer": "going", "name": "Cy", "email": "cy@example.org"}
    assert client.post(f"/e/{event.key}/rsvp", data=data).status_code == 400
    assert db.session.scalar(select(Rsvp)) is None
    resp = client.post(f"/e/{event.key}/rsvp", data={**data, "csrf_token": csrf_in(page)})
    assert resp.status_code == 303 and db.session.scalar(select(Rsvp)).status == "pending"
    # The panel the page lands on says where the link went, on every visit until confirmed,
    # with the form folded away (to send it again, or to another address).
    for _visit in range(2):
        page = client.get(resp.headers["Location"]).get_data(as_text=True)
        panel = page[page.index('id="rsvp"') :]
        assert "We emailed a link to cy@example.org. Open it within 15 minutes" in panel
        assert "No email? Send the link again" in panel
    other = make_event(event.group, title="Another night")
    assert "We emailed a link" not in client.get(f"/e/{other.key}").get_data(as_text=True)


def test_the_panel_remembers_the_last_five_links_asked_for(client, event):
    group = event.group
    events = [make_event(group, title=f"Night {i}") for i in range(6)]
    for i, ev in enumerate(events):
        data = {"answer": "going", "name": "Cy", "email": f"cy{i}@example.org"}
        assert client.post(f"/e/{ev.key}/rsvp", data=data).status_code == 303
    told = [
        "We emailed a link to" in client.get(f"/e/{ev.key}").get_data(as_text=True) for ev in events
    ]
    assert told == [False, True, True, True, True, True]  # the oldest ask is forgotten
    assert "cy3@example.org" in client.get(f"/e/{events[3].key}").get_data(as_text=True)


def test_signed_in_panel_states_with_csrf(client, login, csrf_on, event):
    make_rsvp(event, make_user())
    make_rsvp(event, make_user())
    late = make_user()
    login(client, late)
    page = client.get(f"/e/{event.key}/rsvp").get_data(as_text=True)
    assert "Full" in page and "Join the waitlist" in page
    assert "Full: join the waitlist" in client.get(f"/e/{event.key}").get_data(as_text=True)
    resp = client.post(
        f"/e/{event.key}/rsvp", data={"answer": "going", "csrf_token": csrf_in(page)}
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[-1500:]
    assert _rsvp_of(event, late).status == "waitlisted"
    page = client.get(f"/e/{event.key}/rsvp").get_data(as_text=True)
    assert "number 1 on the waitlist" in page and "Leave the waitlist" in page
    event_page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "Full" in event_page and "Full: join the waitlist" not in event_page  # on it already


def test_answers_are_prefilled_and_saved(client, login, event):
    user = make_user(looking_for="A Rust job", can_offer="Kubernetes help")
    login(client, user)
    page = client.get(f"/e/{event.key}/rsvp").get_data(as_text=True)
    assert "A Rust job" in page and "Kubernetes help" in page
    client.post(
        f"/e/{event.key}/rsvp",
        data={
            "answer": "going",
            "looking_for": "Co-founder",
            "can_offer": "Design",
            "save_to_profile": "y",
        },
    )
    rsvp = _rsvp_of(event, user)
    assert (rsvp.looking_for, rsvp.can_offer, rsvp.wants_intros) == ("Co-founder", "Design", False)
    assert db.session.get(User, user.id).looking_for == "Co-founder"


def test_signed_out_rsvp_by_email_link(client, event):
    resp = client.post(
        f"/e/{event.key}/rsvp",
        data={"answer": "going", "name": "Bea", "email": "Bea@Example.org", "looking_for": "Jobs"},
    )
    assert resp.status_code == 303
    bea = db.session.scalar(select(User).where(User.email == "bea@example.org"))
    assert _rsvp_of(event, bea).status == "pending"
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addr == bea.email))
    link = re.search(r"http://localhost(/rsvp/confirm/\S+)", mail.body_text).group(1)
    page = client.get(link)  # a mail scanner's GET changes nothing
    assert page.status_code == 200 and "Confirm" in page.get_data(as_text=True)
    assert _rsvp_of(event, bea).status == "pending"
    resp = client.post(link)
    assert resp.status_code == 303
    rsvp = _rsvp_of(event, bea)
    assert rsvp.status == "going" and rsvp.looking_for == "Jobs"
    with client.session_transaction() as session:  # signed in
        assert session["_user_id"].startswith(f"{bea.id}:")
    assert client.get("/rsvp/confirm/forged-token").status_code == 404


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_used_confirm_link_shows_where_the_answer_left_them(app, client, event, method):
    """The answer went through but its page was lost (a dropped connection, a server
    restarted before answering): the link, opened again, says so instead of "already
    used", and signs no one in a second time."""
    event.capacity = 1
    db.session.commit()
    links = {}
    for name in ("Bea", "Cy"):
        email = f"{name.lower()}@example.org"
        client.post(f"/e/{event.key}/rsvp", data={"answer": "going", "name": name, "email": email})
        mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_addr == email))
        links[name] = re.search(r"http://localhost(/rsvp/confirm/\S+)", mail.body_text).group(1)
        assert app.test_client().post(links[name]).status_code == 303
    for name, said in (("Bea", "Your seat is confirmed"), ("Cy", "You're number 1 in line")):
        again = app.test_client()
        resp = again.open(links[name], method=method)
        assert resp.status_code == 200
        assert said in resp.get_data(as_text=True)
        with again.session_transaction() as session:
            assert "_user_id" not in session
    # A link whose answer no longer holds a place is just used.
    bea = db.session.scalar(select(User).where(User.email == "bea@example.org"))
    _rsvp_of(event, bea).status = "not_going"
    db.session.commit()
    assert app.test_client().open(links["Bea"], method=method).status_code == 410


@pytest.mark.parametrize(
    "data",
    [
        {"answer": "going", "name": "X", "email": "not-an-email"},
        {"answer": "going", "name": "", "email": "x@example.org"},
        {"answer": "going", "name": "X" * 500, "email": "x@example.org"},
        {"answer": "going", "name": "X", "email": "x@example.org", "looking_for": "y" * 5000},
        {"answer": "maybe", "name": "X", "email": "x@example.org"},
        {},
    ],
)
def test_bad_input_is_a_clear_400_and_writes_nothing(client, event, data):
    resp = client.post(f"/e/{event.key}/rsvp", data=data)
    assert resp.status_code == 400
    assert db.session.scalar(select(Rsvp)) is None
    assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_forged_event_keys_are_404(client, login):
    login(client, make_user())
    for key in ("nope", "x" * 40, "%00", "1 OR 1=1", "%C3%A9"):
        assert client.post(f"/e/{key}/rsvp", data={"answer": "going"}).status_code == 404
        assert client.get(f"/e/{key}/attendees").status_code == 404


def test_closed_started_cancelled_and_members_only(client, login, org):
    group = make_group(org)
    now = utcnow()
    login(client, make_user())
    cases = {
        "rsvp_closed": make_event(group, rsvp_deadline=now - timedelta(hours=1)),
        "event_started": make_event(group, starts_at=now - timedelta(minutes=1)),
        "event_cancelled": make_event(group, cancelled_at=now),
        # An outsider can't tell a members-only event from a key that doesn't exist.
        "not_found": make_event(group, visibility="members"),
    }
    for code, ev in cases.items():
        resp = client.post(
            f"/e/{ev.key}/rsvp", data={"answer": "going"}, headers={"Accept": "application/json"}
        )
        assert resp.get_json()["error"] == code and resp.status_code in (403, 404, 409)
        if code == "event_cancelled":  # its own words, whatever registered its messages last
            assert resp.get_json()["message"] == "This event was cancelled."
    assert db.session.scalar(select(Rsvp)) is None


def test_members_only_accepts_members(client, login, org):
    group = make_group(org)
    ev = make_event(group, visibility="members")
    member = make_user()
    add_member(group, member)
    login(client, member)
    client.post(f"/e/{ev.key}/rsvp", data={"answer": "going"})
    assert _rsvp_of(ev, member).status == "going"


def test_a_guest_added_to_a_members_only_event_sees_its_page_and_can_decline(client, login, org):
    """A speaker the organizer put on the list isn't in the group: the event page their
    email links to opens for them, and they can say they can't come (not come back)."""
    group = make_group(org)
    ev = make_event(group, visibility="members", capacity=5)
    speaker, outsider = make_user(), make_user()
    attendee_list.add(ev, speaker.email, "Speaker")
    db.session.commit()
    login(client, outsider)
    assert client.get(f"/e/{ev.key}").status_code == 404
    login(client, speaker)
    page = client.get(f"/e/{ev.key}")
    assert page.status_code == 200 and "You're going!" in page.get_data(as_text=True)
    assert client.get(f"/e/{ev.key}/event.ics").status_code == 200
    client.post(f"/e/{ev.key}/rsvp", data={"answer": "not_going"})
    assert _rsvp_of(ev, speaker).status == "not_going"
    again = client.post(f"/e/{ev.key}/rsvp", data={"answer": "going"})
    assert again.status_code == 403 and _rsvp_of(ev, speaker).status == "not_going"


def _held_seat(name: str = "Bea", **event_kw) -> tuple[Event, User, Rsvp]:
    """A one-seat event with a 3-hour claim window whose seat was offered to `name` when
    the first person left: (event, that person, their RSVP)."""
    ev = make_event(make_group(make_user()), capacity=1, claim_window_hours=3, **event_kw)
    a, b = make_user(), make_user(name=name)
    answers.answer(ev, a, True, member=True)
    answers.answer(ev, b, True, member=True)
    answers.answer(ev, a, False, member=True)
    db.session.commit()
    return ev, b, _rsvp_of(ev, b)


def test_claim_link(client, app):
    ev, b, rsvp = _held_seat()
    url = f"/e/{ev.key}/claim/{rsvp.ticket_token}"
    assert "Yes, I" in client.get(url).get_data(as_text=True)
    assert client.post(url).status_code == 303
    assert _rsvp_of(ev, b).claim_expires_at is None
    assert client.get(f"/e/{ev.key}/claim/wrong").status_code == 410
    assert client.get(f"/e/{ev.key}/claim/%00").status_code == 404  # a NUL names nothing


def test_claiming_a_seat_signed_out_lands_on_the_ticket(client, csrf_on):
    """The claim link comes by email and doesn't sign anyone in: the seat's ticket opens,
    where the event page of a members-only event was a 404 to them."""
    ev, _bea, held = _held_seat(visibility="members")
    token = held.ticket_token
    url = f"/e/{ev.key}/claim/{token}"
    resp = client.post(url, data={"csrf_token": csrf_in(client.get(url).get_data(as_text=True))})
    assert resp.status_code == 303 and resp.headers["Location"] == f"/t/{token}"
    ticket = client.get(resp.headers["Location"])
    page = ticket.get_data(as_text=True)
    assert ticket.status_code == 200
    assert "Your seat is confirmed" in page and "Bea" in page and f"/t/{token}/qr.svg" in page
    assert "held for you" not in page


def test_a_held_seats_ticket_asks_to_confirm_it(client, csrf_on):
    """Opened from the email's ticket link rather than its claim link, a held seat's ticket
    says until when it is held and confirms it in one tap; without that the seat passed on
    while the ticket looked valid."""
    ev, b, held = _held_seat()
    until = format_in_zone(held.claim_expires_at, ev.timezone)
    page = client.get(f"/t/{held.ticket_token}").get_data(as_text=True)
    assert f"This seat is held for you until {until}" in page
    action = re.search(r'<form method="post" class="ticket-claim" action="([^"]+)"', page)[1]
    resp = client.post(action, data={"csrf_token": csrf_in(page)})
    assert resp.status_code == 303 and _rsvp_of(ev, b).claim_expires_at is None
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Your seat is confirmed" in page and "held for you" not in page
    # a seat taken the usual way has nothing to confirm
    c = make_user()
    ev.capacity = 2
    answers.answer(ev, c, True)
    db.session.commit()
    assert "held for you" not in client.get(f"/t/{_rsvp_of(ev, c).ticket_token}").get_data(
        as_text=True
    )


# ------------------------------------------------------------------ organizers


def test_attendees_page_is_for_organizers(client, login, event):
    assert client.get(f"/e/{event.key}/attendees").status_code in (302, 401)
    login(client, make_user())
    cap = f"/e/{event.key}/attendees/capacity"
    assert client.get(f"/e/{event.key}/attendees").status_code == 403
    assert client.post(cap, data={"capacity": 9}).status_code == 403
    assert db.session.get(Event, event.id).capacity == 2


def test_the_organizer_sees_whose_emailed_link_has_expired(client, login, org, event):
    """Asked by email and never confirmed: a place in line only while a link works. Asking
    again while one works renews the link and keeps the place: the newest link counts."""
    now = utcnow()
    answers.request_by_email(event, "fay@example.org", "Fresh Fay", now=now - timedelta(minutes=3))
    answers.request_by_email(event, "sam@example.org", "Stale Sam", now=now - timedelta(hours=3))
    answers.request_by_email(
        event, "rex@example.org", "Renewed Rex", now=now - timedelta(minutes=16)
    )
    answers.request_by_email(
        event, "rex@example.org", "Renewed Rex", now=now - timedelta(minutes=10)
    )
    db.session.commit()
    login(client, org)
    page = client.get(f"/e/{event.key}/attendees").get_data(as_text=True)
    section = page[page.index("Asked by email, not confirmed") :]
    assert "(3)" in section[: section.index("<li")] and "15 minutes" in section

    def pill(name: str) -> str:
        entry = section[section.index(name) :]
        return entry[: entry.index("</li>")]

    def until(minutes_ago: int) -> str:
        expires = now - timedelta(minutes=minutes_ago) + timedelta(minutes=15)
        return f"link works until {format_in_zone(expires, event.timezone, 'HH:mm')}"

    assert until(3) in pill("Fresh Fay") and "link expired" not in pill("Fresh Fay")
    assert until(10) in pill("Renewed Rex")  # its first link has expired, the second works
    assert "link expired" in pill("Stale Sam") and "works until" not in pill("Stale Sam")


def test_organizer_lists_edits_removes_promotes(client, login, org, event):
    people = [make_user(name=f"Person {i}", looking_for=f"wish {i}") for i in range(5)]
    for p in people:
        answers.answer(event, p, True)
    db.session.commit()
    login(client, org)
    page = client.get(f"/e/{event.key}/attendees").get_data(as_text=True)
    assert "Person 0" in page and "wish 3" in page and "Waitlist" in page
    # Remove a going person: the head of the waitlist gets the seat.
    first = _rsvp_of(event, people[0])
    done = client.post(f"/e/{event.key}/attendees/{first.id}/remove", follow_redirects=True)
    assert "Person 0 was removed; Person 2, next in line, got the seat." in done.get_data(
        as_text=True
    )
    assert _rsvp_of(event, people[2]).status == "going"
    # Promote by hand: refused when full unless overridden.
    last = _rsvp_of(event, people[4])
    resp = client.post(f"/e/{event.key}/attendees/{last.id}/promote")
    assert resp.status_code == 409 and _rsvp_of(event, people[4]).status == "waitlisted"
    client.post(f"/e/{event.key}/attendees/{last.id}/promote", data={"override": "y"})
    assert _rsvp_of(event, people[4]).status == "going"
    # More seats promote at once; bad capacity is a 400.
    cap = f"/e/{event.key}/attendees/capacity"
    client.post(cap, data={"capacity": "10"})
    assert _rsvp_of(event, people[3]).status == "going"
    assert client.post(cap, data={"capacity": "-3"}).status_code == 400
    assert client.post(cap, data={"capacity": "x"}).status_code == 400
    client.post(cap, data={"capacity": ""})
    assert db.session.get(Event, event.id).capacity is None
    other = make_event(make_group(make_user()))
    other_rsvp = make_rsvp(other, make_user())
    assert client.post(f"/e/{event.key}/attendees/{other_rsvp.id}/remove").status_code == 404


def test_organizer_adds_someone_by_hand_and_a_refusal_keeps_what_was_typed(
    client, login, org, event
):
    url = f"/e/{event.key}/attendees/add"
    stranger = make_user()
    login(client, stranger)
    assert client.post(url, data={"add-name": "X", "add-email": "x@example.org"}).status_code == 403
    login(client, org)
    page = client.get(f"/e/{event.key}/attendees").get_data(as_text=True)
    assert "Add someone by hand" in page and 'name="add-email"' in page

    done = client.post(
        url, data={"add-name": "Lena Vogel", "add-email": "lena@example.org"}, follow_redirects=True
    )
    assert "Lena Vogel has a seat; their ticket is on its way by email." in done.get_data(
        as_text=True
    )
    lena = db.session.scalar(select(User).where(User.email == "lena@example.org"))
    assert _rsvp_of(event, lena).status == "going"
    assert db.session.scalar(select(OutboxMessage.to_addr)) == "lena@example.org"

    # Bad input and refusals come back on the page, with what was typed and the form open.
    bad = client.post(url, data={"add-name": "", "add-email": "not-an-email"})
    assert bad.status_code == 400
    again = client.post(url, data={"add-name": "Lena", "add-email": "lena@example.org"})
    assert again.status_code == 409
    assert "This person is already going." in again.get_data(as_text=True)
    make_rsvp(event, make_user())  # now full (2 seats)
    full = client.post(url, data={"add-name": "Tom", "add-email": "tom@example.org"})
    html = full.get_data(as_text=True)
    assert full.status_code == 409 and "No seat is free." in html
    assert 'value="tom@example.org"' in html and '<details class="attendee-add" open>' in html
    assert db.session.scalar(select(User).where(User.email == "tom@example.org")) is None
    client.post(url, data={"add-name": "Tom", "add-email": "tom@example.org", "add-override": "y"})
    tom = db.session.scalar(select(User).where(User.email == "tom@example.org"))
    assert _rsvp_of(event, tom).status == "going"


def test_removing_someone_asks_first_and_says_what_follows(client, login, org, event):
    """The list's Remove leads to a question, not to the removal: a removed person is
    emailed and can't answer again by themselves."""
    ana, ben = make_user(name="Ana"), make_user(name="Ben")
    for person in (ana, ben):
        answers.answer(event, person, True)
    db.session.commit()
    login(client, org)
    rsvp = _rsvp_of(event, ana)
    path = f"/e/{event.key}/attendees/{rsvp.id}/remove"
    assert f'href="{path}"' in client.get(f"/e/{event.key}/attendees").get_data(as_text=True)

    page = client.get(path).get_data(as_text=True)
    assert f"Remove Ana from “{escape(event.title)}”?" in page
    assert "Ana gets an email" in page and "Their seat goes to the next person" in page
    assert f'<form method="post" action="{path}"' in page and "Yes, remove Ana" in page
    assert _rsvp_of(event, ana).status == "going"  # asking changed nothing

    removed = client.post(path, follow_redirects=True).get_data(as_text=True)
    assert "Ana was removed.</" in removed  # nobody was waiting for her seat
    assert _rsvp_of(event, ana).status == "removed"
    again = client.get(path).get_data(as_text=True)
    assert "Ana is no longer on the list." in again and "Yes, remove" not in again

    # A mistake can be undone from the list: her seat is still free, so she gets it back.
    back = f"/e/{event.key}/attendees/{rsvp.id}/reinstate"
    listed = client.get(f"/e/{event.key}/attendees").get_data(as_text=True)
    assert f'action="{back}"' in listed and "Put back on the list" in listed
    done = client.post(back, follow_redirects=True).get_data(as_text=True)
    assert "Ana is back on the list, with a seat." in done
    assert _rsvp_of(event, ana).status == "going"
    assert client.post(back).status_code == 409  # not removed any more

    other_rsvp = make_rsvp(make_event(make_group(make_user())), make_user())
    assert client.get(f"/e/{event.key}/attendees/{other_rsvp.id}/remove").status_code == 404
    login(client, ben)
    own = f"/e/{event.key}/attendees/{_rsvp_of(event, ben).id}"
    assert client.get(f"{own}/remove").status_code == 403
    assert client.post(f"{own}/reinstate").status_code == 403


def test_once_started_the_list_is_a_record_of_who_came(client, login, org, event):
    people = [make_user(name=f"Person {i}") for i in range(4)]
    for p in people:
        answers.answer(event, p, True)
    db.session.commit()
    event.capacity = 3  # one more seat than people going, so the waitlist could still move
    event.starts_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    came = _rsvp_of(event, people[0])
    came.checked_in_at = event.starts_at + timedelta(minutes=5)
    db.session.commit()
    at = format_in_zone(came.checked_in_at, event.timezone, "HH:mm")
    login(client, org)
    path = f"/e/{event.key}/attendees"

    page = client.get(path).get_data(as_text=True)
    stats = page.split('class="attendee-stats">', 1)[1].split("</div>\n</div>", 1)[0]
    assert re.sub(r"<[^>]+>", " ", stats).split() == [
        "2", "/3", "going", "1", "checked", "in", "1", "not", "in", "yet",
    ]  # fmt: skip
    assert f"checked in {at}" in page and "no-show" not in page
    assert "the list can no longer change" in page
    for form in ("/attendees/capacity", "/remove", "/promote"):
        assert form not in page
    closed = client.get(f"{path}/{came.id}/remove").get_data(as_text=True)
    assert "The list can no longer change" in closed and "Yes, remove" not in closed
    waiting = _rsvp_of(event, people[2])
    assert client.post(f"{path}/{waiting.id}/promote").status_code == 409
    assert client.post(f"{path}/capacity", data={"capacity": "9"}).status_code == 409
    assert _rsvp_of(event, people[2]).status == "waitlisted"

    event.starts_at, event.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
    db.session.commit()
    page = client.get(path).get_data(as_text=True)
    assert "no-shows" in page and page.count(">no-show<") == 1
    assert "This event is over" in page and f"/e/{event.key}/intros" in page


def test_csv_export_neutralises_formulas(client, login, org, event):
    for name in ("=HYPERLINK(1)", "+1", "-2", "@SUM", "\tTab", "\rCR", "Plain"):
        make_rsvp(event, make_user(name=name), looking_for="=cmd|' /C calc'!A0")
    login(client, org)
    resp = client.get(f"/e/{event.key}/attendees.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert len(rows) == 7
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert {r["name"] for r in rows} >= {"'=HYPERLINK(1)", "'+1", "Plain"}


# ------------------------------------------------------------------ query counts


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1

    def __enter__(self):
        sa_event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        sa_event.remove(db.engine, "before_cursor_execute", self)


def _fill(event, n: int, start: int) -> None:
    users = [
        User(email=f"q{start + i}@example.org", name=f"Q{i}", session_token="s", looking_for="x")
        for i in range(n)
    ]
    db.session.add_all(users)
    db.session.flush()
    statuses = ("going", "waitlisted", "not_going", "pending")
    now = utcnow()
    db.session.add_all(
        Rsvp(
            event_id=event.id,
            user_id=u.id,
            status=statuses[i % 4],
            requested_at=now + timedelta(seconds=i),
            ticket_token=f"t{start + i}" if i % 4 == 0 else None,
        )
        for i, u in enumerate(users)
    )
    db.session.commit()


@pytest.mark.parametrize(
    "path", ["/e/{key}", "/e/{key}/attendees", "/e/{key}/attendees.csv", "/e/{key}/rsvp"]
)
def test_query_count_does_not_grow_with_rsvps(client, login, org, path):
    event = make_event(make_group(org), capacity=1000)
    login(client, org)
    url = path.format(key=event.key)
    counts = []
    for n, start in ((5, 0), (495, 5)):
        _fill(event, n, start)
        client.get(url)  # warm caches
        with QueryCounter() as q:
            assert client.get(url).status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts


def test_an_answer_reads_the_signed_in_user_with_the_event(client, login, event):
    """The answer's hot path: the session's user is read in the event's statement, not in
    one of its own; then the lock and the seats, and the RSVP and its notice. On PostgreSQL
    the read takes the lock and reads the seats, and the RSVP and its notice are one
    statement: two round trips (and the commit), the lock held from the first.
    The invite's sequence is counted from the RSVP's own row: no write to the event."""
    ana = make_user(name="Ana")
    add_member(event.group, ana)
    login(client, ana)
    path = f"/e/{event.key}/rsvp"
    with count_queries() as queries:
        resp = client.post(path, data={"answer": "going"})
    assert resp.status_code == 303 and _rsvp_of(event, ana).status == "going"
    assert "FROM events" in queries[0] and "users" in queries[0], queries[0]
    assert not any(q.split("\nFROM ")[-1].startswith("users") for q in queries), queries
    postgres = db.engine.dialect.name == "postgresql"
    assert not any(q.startswith("UPDATE events") for q in queries), queries
    if postgres:
        assert len(queries) == 2, "\n".join(q[:90] for q in queries)
        assert "LATERAL rsvp_seats_locked(events.id" in queries[0], queries[0]
        assert queries[1].startswith("WITH new_rsvp AS") and "INSERT INTO outbox" in queries[1]
    else:  # BEGIN IMMEDIATE is the lock
        assert len(queries) == 4, "\n".join(q[:90] for q in queries)


def test_a_session_from_before_sign_out_everywhere_is_not_signed_in(client, login, event):
    """The user read with the event is still checked against the session's token."""
    event.visibility = "members"
    ana = make_user(name="Ana")
    add_member(event.group, ana)
    db.session.commit()
    login(client, ana)
    ana.session_token = "rotated-" + ana.session_token  # what signing out everywhere does
    db.session.commit()
    resp = client.post(f"/e/{event.key}/rsvp", data={"answer": "going"})
    assert resp.status_code == 404  # signed out: a members-only event isn't there
    assert _rsvp_of(event, ana) is None


def test_i_cant_go_anymore_asks_once_before_the_seat_moves(client, login):
    event = make_event(make_group(make_user()), capacity=1)
    ana, wes = make_user(name="Ana"), make_user(name="Wes")
    seat = make_rsvp(event, ana)
    make_rsvp(event, wes, status="waitlisted")
    login(client, ana)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    # No one-tap POST any more: a link to a page that asks.
    assert f'href="/e/{event.key}/rsvp/cant-go"' in page
    assert 'value="not_going"' not in page
    resp = client.get(f"/e/{event.key}/rsvp/cant-go")
    asked = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Give up your seat?" in asked
    assert "1 person is waiting for a seat" in asked and 'value="not_going"' in asked
    assert resp.headers["Cache-Control"] == "no-store"
    db.session.refresh(seat)
    assert seat.status == "going"  # asking changed nothing
    client.post(f"/e/{event.key}/rsvp", data={"answer": "not_going"})
    db.session.refresh(seat)
    assert seat.status == "not_going"
    # Without a seat there is nothing to ask: back to the event.
    assert client.get(f"/e/{event.key}/rsvp/cant-go").status_code == 302
