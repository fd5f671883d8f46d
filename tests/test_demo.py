"""`flask --app app demo`: idempotent demo data and working links."""

import re

from sqlalchemy import func, select

from meetup.extensions import db
from meetup.models import (
    Event,
    Group,
    Membership,
    Rsvp,
    RsvpGuest,
    Series,
    SeriesFollower,
    User,
    utcnow,
)


def _counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Group, Membership, Event, Rsvp, Series, SeriesFollower)
    )


def test_demo_is_idempotent_and_prints_working_links(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    counts = _counts()
    users, groups, memberships, events, rsvps, series, followers = counts
    single = db.session.scalar(select(func.count()).where(Event.series_id.is_(None)))
    assert groups == 1 and single == 3 and series == 1 and followers == 1
    assert events > single  # the series' first dates
    assert memberships >= 30 and users >= 31

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert _counts() == counts

    upcoming = db.session.scalar(select(Event).where(Event.capacity == 25))
    going = db.session.scalar(
        select(func.count()).where(Rsvp.event_id == upcoming.id, Rsvp.status == "going")
    )
    assert upcoming.capacity - 3 <= going < upcoming.capacity  # close to capacity
    past_checked_in = db.session.scalar(select(func.count()).where(Rsvp.checked_in_at.is_not(None)))
    assert past_checked_in > 0
    # The dinner whose organizer approves each RSVP: one request waits, from the member.
    dinner = db.session.scalar(select(Event).where(Event.requires_approval.is_(True)))
    requested = db.session.scalars(
        select(Rsvp).where(Rsvp.event_id == dinner.id, Rsvp.status == "requested")
    ).all()
    assert [r.user.email for r in requested] == ["priya.raman@example.com"]
    assert f"/e/{dinner.key}/requests" in second.output
    # The member brings a named guest, whose own ticket the demo prints.
    guest = db.session.scalar(select(RsvpGuest))
    assert guest.name == "Léa Martin" and guest.ticket_token in second.output
    assert guest.rsvp.party_size == 2 and guest.rsvp.user.email == "priya.raman@example.com"

    assert "organizer@example.org" in second.output and "priya.raman@example.com" in second.output
    for path in re.findall(r"http://localhost(/(?:g|e|t|s)/[\w-]+)", second.output):
        assert client.get(path).status_code == 200, path
    assert re.search(r"/login/link/[\w-]{22,}", second.output)


def test_demo_prints_magic_links_that_sign_in(app, client):
    from meetup import demo

    output = app.test_cli_runner().invoke(args=["demo"]).output
    assert "password" not in output.lower()  # no known secret is left behind
    tokens = re.findall(r"/login/link/([\w-]{22,})", output)
    assert len(tokens) == 2
    resp = client.post(f"/login/link/{tokens[1]}")
    assert resp.status_code == 302
    with client.session_transaction() as session:
        user = db.session.get(User, int(session["_user_id"].split(":")[0]))
    assert user.email == demo.MEMBER_EMAIL


def test_the_demos_past_event_has_introductions_to_review(app, client):
    """Two days after it, with its introductions held for review; the members' profiles
    make pairs whose reasons are what one looks for and the other offers."""
    from meetup.models import IntroPair
    from meetup.services.intros import proposals as intros

    app.test_cli_runner().invoke(args=["demo"])
    past = db.session.scalar(select(Event).where(Event.capacity == 40))
    intros.ensure_proposals(past)
    pairs = list(db.session.scalars(select(IntroPair).where(IntroPair.event_id == past.id)))
    assert intros.send_state(past, pairs, utcnow()) == "scheduled"
    reasons = [p.reason_for_a for p in pairs]
    assert len(pairs) >= 10
    both = reasons + [p.reason_for_b for p in pairs]
    assert any("looking for a job" in r and "is hiring" in r for r in both), both
    assert any("is looking for funding" in r and "you offer investment" in r for r in both), both
    names = {(p.user_a.display_name, p.user_b.display_name) for p in pairs}
    assert len(names) == len(pairs) and all(a != b for a, b in names)
    assert all(p.user_a.looking_for != p.user_b.looking_for for p in pairs)  # no look-alikes
