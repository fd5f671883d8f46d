"""Home page: a welcome when signed out; my upcoming events and my groups when signed in."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Rsvp, utcnow
from meetup.timeutil import format_in_zone
from tests.factories import add_member, count_queries, make_event, make_group, make_rsvp, make_user


def test_signed_out_sees_a_welcome(client):
    resp = client.get("/")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Meet the people from your online community" in page
    assert "Your upcoming events" not in page


def test_my_upcoming_events_and_groups(client, login):
    me = make_user(name="Mia")
    mine = make_group(me, name="Acme Alumni")  # I organize it
    joined = make_group(name="Rust Paris")
    add_member(joined, me)
    elsewhere = make_group(name="Faraway Club")  # not mine, but I RSVP'd to one of its events

    soon = utcnow() + timedelta(days=2)
    group_event = make_event(mine, title="Acme drinks", starts_at=soon + timedelta(days=3))
    members_only = make_event(
        joined, title="Rust workshop", starts_at=soon + timedelta(days=1), visibility="members"
    )
    going = make_event(elsewhere, title="Faraway talk", starts_at=soon)
    make_rsvp(going, me)
    waitlisted = make_event(elsewhere, title="Faraway party", starts_at=soon + timedelta(days=5))
    make_rsvp(waitlisted, me, status="waitlisted")
    declined = make_event(elsewhere, title="Faraway hike", starts_at=soon)
    make_rsvp(declined, me, status="not_going")
    make_event(elsewhere, title="Faraway unknown", starts_at=soon)
    left = make_event(elsewhere, title="Faraway secret", starts_at=soon, visibility="members")
    make_rsvp(left, me)  # I was a member once; now it's a 404 to me, so not listed
    make_event(mine, title="Last year", starts_at=utcnow() - timedelta(days=300))
    cancelled = make_event(mine, title="Called off", starts_at=soon, cancelled_at=utcnow())
    make_rsvp(cancelled, me)  # its ticket lets nobody in: not offered

    login(client, me)
    page = client.get("/").get_data(as_text=True)
    for event in (group_event, members_only, going, waitlisted, cancelled):
        assert f'href="/e/{event.key}"' in page, event.title
    for title in ("Faraway hike", "Faraway unknown", "Faraway secret", "Last year"):
        assert title not in page
    # soonest first
    assert page.index("Faraway talk") < page.index("Rust workshop") < page.index("Acme drinks")
    assert "Going" in page and "Waitlist" in page and "Cancelled" in page
    # One tap to the ticket at the door: for the seat I hold, not the place in line.
    seat = db.session.scalar(select(Rsvp).where(Rsvp.event_id == going.id))
    assert page.count("Show my ticket") == 1
    assert f'class="home-ticket" href="/t/{seat.ticket_token}"' in page

    assert "Acme Alumni" in page and "Rust Paris" in page
    assert "Faraway Club" not in page.split("Your groups", 1)[1]
    assert f'href="/g/{mine.slug}/events/new"' in page
    assert f'href="/g/{joined.slug}/events/new"' not in page  # only a member there


def test_recent_events_i_had_a_seat_at(client, login):
    me = make_user()
    mine = make_group()
    add_member(mine, me)
    left = make_group()  # I was a member; its members-only events are no longer mine to see
    now = utcnow()

    def past(group, title, days, **kw):
        return make_event(group, title=title, starts_at=now - timedelta(days=days), **kw)

    came = past(mine, "Came to it", 3)
    make_rsvp(came, me, checked_in_at=came.starts_at + timedelta(minutes=5))
    no_show = past(mine, "Had a seat", 10)
    make_rsvp(no_show, me)
    for title, status in (("Said no", "not_going"), ("Waited", "waitlisted")):
        make_rsvp(past(mine, title, 5), me, status=status)
    make_rsvp(past(mine, "Long ago", 200), me)
    make_rsvp(past(mine, "Called off", 4, cancelled_at=now - timedelta(days=6)), me)
    make_rsvp(past(left, "Members then", 2, visibility="members"), me)
    public = past(left, "Public there", 20)
    make_rsvp(public, me)
    make_rsvp(make_event(mine, title="Still to come"), me)

    page = login(client, me).get("/").get_data(as_text=True)
    recent = page.split('id="recent-title"', 1)[1].split("</section>", 1)[0]
    for title in ("Said no", "Waited", "Long ago", "Called off", "Members then", "Still to come"):
        assert title not in recent
    assert recent.index("Came to it") < recent.index("Had a seat") < recent.index("Public there")
    assert recent.count("You were there") == 1
    assert f'href="/e/{came.key}"' in recent


def test_organizers_see_recent_events_of_their_groups_with_turnout_and_review(client, login):
    me = make_user()
    mine = make_group(me)
    theirs = make_group()
    add_member(theirs, me)
    now = utcnow()
    unreviewed = make_event(mine, title="Ran it", starts_at=now - timedelta(hours=4))
    for i in range(3):
        guest = make_user()
        make_rsvp(unreviewed, guest, checked_in_at=unreviewed.starts_at if i < 2 else None)
    make_rsvp(unreviewed, make_user(), status="waitlisted", checked_in_at=unreviewed.starts_at)
    make_event(mine, title="Reviewed", starts_at=now - timedelta(days=3), intros_approved_at=now)
    make_event(theirs, title="Not mine to run", starts_at=now - timedelta(days=2))
    make_event(mine, title="Called off", starts_at=now - timedelta(days=1), cancelled_at=now)

    page = login(client, me).get("/").get_data(as_text=True)
    recent = page.split('id="recent-title"', 1)[1].split("</section>", 1)[0]
    assert "Not mine to run" not in recent and "Called off" not in recent
    ran, rest = recent.split("Reviewed", 1)
    assert "Ran it" in ran and "2 people came" in ran  # the waitlisted check-in isn't a seat
    send_at = unreviewed.ends_at + timedelta(hours=unreviewed.intros_delay_hours)
    when = format_in_zone(send_at, unreviewed.timezone, "EEE HH:mm")
    assert f"Introductions go out {when}: review them" in ran
    assert "0 people came" in rest and "Introductions go out" not in rest
    assert "You were there" not in recent


def test_a_new_user_sees_empty_states(client, login):
    login(client, make_user())
    page = client.get("/").get_data(as_text=True)
    assert "Nothing planned yet" in page
    assert "Recently" not in page
    assert "You are not in a group yet" in page


def test_home_query_count_does_not_grow(client, login):
    me = make_user()
    login(client, me)

    def queries() -> int:
        db.session.expire_all()
        with count_queries(cold=False) as statements:
            assert client.get("/").status_code == 200
        return len(statements)

    group = make_group(me)
    make_rsvp(make_event(group), me)
    make_rsvp(make_event(group, starts_at=utcnow() - timedelta(days=1)), me)
    few = queries()
    for _ in range(5):
        other = make_group()
        add_member(other, me)
        make_rsvp(make_event(other), me)
        make_rsvp(make_event(other, starts_at=utcnow() - timedelta(days=2)), me)
        make_event(other)
    assert queries() == few
