"""Events: create, edit, cancel (organizers only), the event page, its share tags, time zones."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select, update

from meetup import database
from meetup.extensions import db
from meetup.models import Event, OutboxMessage, Rsvp, utcnow
from meetup.services.errors import DomainError
from meetup.services.events import editing as svc
from meetup.timeutil import format_in_zone
from tests.factories import add_member, count_queries, make_event, make_group, make_rsvp, make_user

FUTURE = date(2031, 5, 6)  # a Tuesday; far enough ahead for the real clock


def form_data(**overrides) -> dict[str, str]:
    data = {
        "title": "Spring drinks",
        "description": "Bring a **demo**.",
        "start_date": FUTURE.isoformat(),
        "start_time": "19:00",
        "end_date": "",
        "end_time": "21:00",
        "timezone": "Europe/Paris",
        "venue_name": "The Loft",
        "venue_address": "1 Rue de Rivoli, Paris",
        "capacity": "40",
        "rsvp_deadline_date": "",
        "rsvp_deadline_time": "",
        "visibility": "public",
        "claim_window_hours": "",
        "reminder_hours": "24",
        "intros_delay_hours": "18",
    }
    data.update(overrides)
    return data


def event_input(**overrides) -> svc.EventInput:
    values = {
        "title": "Spring drinks",
        "timezone": "Europe/Paris",
        "starts_local": datetime(2031, 5, 6, 19, 0),
        "ends_local": datetime(2031, 5, 6, 21, 0),
        "venue_name": "The Loft",
        "venue_address": "1 Rue de Rivoli, Paris",
    }
    values.update(overrides)
    return svc.EventInput(**values)


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Event))


class MetaTags(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and "content" in a:
            self.tags[a.get("property") or a.get("name") or ""] = a["content"]


@pytest.fixture
def organizer(app):
    return make_user("org@example.org", name="Olga Organizer")


@pytest.fixture
def group(organizer):
    return make_group(organizer, slug="acme-alumni", name="Acme Alumni")


def minute_event(group, **kw) -> Event:
    """An event starting on a whole minute, as the form would make it."""
    start = (utcnow() + timedelta(days=10)).replace(second=0, microsecond=0)
    return make_event(group, starts_at=start, **kw)


# ------------------------------------------------------------------ create


def test_organizer_creates_an_event_and_its_page_shows_it(client, login, organizer, group):
    login(client, organizer)
    resp = client.post("/g/acme-alumni/events/new", data=form_data())
    assert resp.status_code == 302
    event = db.session.scalar(select(Event))
    assert resp.headers["Location"] == f"/e/{event.key}"
    assert event.starts_at == datetime(2031, 5, 6, 17, 0, tzinfo=UTC)  # 19:00 CEST
    assert event.ends_at == datetime(2031, 5, 6, 19, 0, tzinfo=UTC)
    assert (event.capacity, event.created_by_id, event.sequence) == (40, organizer.id, 0)
    assert (event.reminder_hours, event.intros_delay_hours, event.claim_window_hours) == (
        24,
        18,
        None,
    )
    assert len(event.key) >= 10

    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "Spring drinks" in page
    assert "Tuesday 6 May 2031" in page
    assert "19:00 – 21:00 CEST" in page
    assert "Acme Alumni" in page
    assert "<strong>demo</strong>" in page
    assert "40 seats" in page


def test_co_organizer_can_create(client, login, group):
    co = make_user()
    add_member(group, co, role="co_organizer")
    login(client, co)
    assert client.post("/g/acme-alumni/events/new", data=form_data()).status_code == 302
    assert event_count() == 1


def test_new_event_form_defaults_to_the_zone_of_the_groups_last_event(
    client, login, organizer, group
):
    login(client, organizer)
    page = client.get("/g/acme-alumni/events/new").get_data(as_text=True)
    assert 'data-guess-zone="1"' in page  # no earlier event: the browser suggests its zone
    assert re.search(r'<option selected value="Europe/London">', page)

    minute_event(group, timezone="Asia/Kolkata")
    page = client.get("/g/acme-alumni/events/new").get_data(as_text=True)
    assert re.search(r'<option selected value="Asia/Kolkata">', page)
    assert "data-guess-zone" not in page


def test_end_date_defaults_to_the_start_date_and_can_cross_midnight(
    client, login, organizer, group
):
    login(client, organizer)
    data = form_data(start_time="22:00", end_date="2031-05-07", end_time="02:00")
    assert client.post("/g/acme-alumni/events/new", data=data).status_code == 302
    event = db.session.scalar(select(Event))
    assert event.ends_at - event.starts_at == timedelta(hours=4)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "until Wed 7 May 2031, 02:00 CEST" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "Choose a time zone from the list"),
        ({"timezone": ""}, "Choose a time zone from the list"),
        ({"timezone": "../../etc/passwd"}, "Choose a time zone from the list"),
        ({"end_time": "18:00"}, "The end must be after the start"),
        ({"end_time": "19:00"}, "The end must be after the start"),
        ({"start_date": "2020-01-01", "end_date": "2020-01-01"}, "That start is in the past"),
        ({"end_date": "2031-06-30"}, "at most 14 days"),
        ({"title": ""}, "This field is required"),
        ({"title": "x" * 201}, "200 characters"),
        ({"venue_name": "x" * 201}, "200 characters"),
        ({"venue_address": "x" * 501}, "500 characters"),
        ({"description": "x" * 20_001}, "20000 characters"),
        ({"capacity": "0"}, "between 1 and 100000"),
        ({"capacity": "-5"}, "between 1 and 100000"),
        ({"capacity": "1000000"}, "between 1 and 100000"),
        ({"capacity": "lots"}, "Not a valid integer"),
        ({"start_date": "2031-02-30"}, "Not a valid date"),
        ({"start_time": "25:00"}, "Not a valid time"),
        ({"reminder_hours": "0"}, "between 1 and 336"),
        ({"intros_delay_hours": ""}, "This field is required"),
        ({"claim_window_hours": "10000"}, "between 1 and 168"),
        ({"rsvp_deadline_date": "2031-05-06"}, "Give both a date and a time"),
        (
            {"rsvp_deadline_date": "2031-05-06", "rsvp_deadline_time": "20:00"},
            "RSVPs must close before the event starts",
        ),
        (
            {"rsvp_deadline_date": "2020-05-06", "rsvp_deadline_time": "20:00"},
            "That RSVP deadline has already passed",
        ),
        ({"visibility": "secret"}, "Not a valid choice"),
    ],
)
def test_bad_input_gets_a_clear_message_and_nothing_is_written(
    client, login, organizer, group, overrides, message
):
    login(client, organizer)
    resp = client.post("/g/acme-alumni/events/new", data=form_data(**overrides))
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert event_count() == 0


@pytest.mark.parametrize(
    ("zone", "day", "at"),
    [
        ("America/New_York", date(2031, 3, 9), time(2, 30)),  # spring forward 02:00 -> 03:00
        ("Europe/Paris", date(2031, 3, 30), time(2, 30)),
        ("Australia/Lord_Howe", date(2031, 10, 5), time(2, 15)),  # moves only 30 minutes
    ],
)
def test_a_wall_clock_time_inside_a_dst_gap_is_refused(
    client, login, organizer, group, zone, day, at
):
    login(client, organizer)
    data = form_data(
        timezone=zone,
        start_date=day.isoformat(),
        start_time=at.strftime("%H:%M"),
        end_time="05:00",
    )
    resp = client.post("/g/acme-alumni/events/new", data=data)
    assert resp.status_code == 400
    assert "doesn&#39;t exist in this time zone" in resp.get_data(as_text=True)
    assert event_count() == 0


@pytest.mark.parametrize(
    ("zone", "local", "utc", "abbr"),
    [
        ("Asia/Kolkata", datetime(2031, 5, 6, 19, 0), datetime(2031, 5, 6, 13, 30), "IST"),
        # Lord Howe: +10:30 in winter, +11 in summer (DST starts first Sunday of October)
        (
            "Australia/Lord_Howe",
            datetime(2031, 10, 4, 19, 0),
            datetime(2031, 10, 4, 8, 30),
            "UTC+10:30",
        ),
        (
            "Australia/Lord_Howe",
            datetime(2031, 10, 6, 19, 0),
            datetime(2031, 10, 6, 8, 0),
            "UTC+11",
        ),
        # New York the day before and after spring forward and fall back
        ("America/New_York", datetime(2031, 3, 8, 19, 0), datetime(2031, 3, 9, 0, 0), "EST"),
        ("America/New_York", datetime(2031, 3, 10, 19, 0), datetime(2031, 3, 10, 23, 0), "EDT"),
        ("America/New_York", datetime(2031, 11, 1, 19, 0), datetime(2031, 11, 1, 23, 0), "EDT"),
        ("America/New_York", datetime(2031, 11, 3, 19, 0), datetime(2031, 11, 4, 0, 0), "EST"),
        # 01:30 on fall-back night happens twice: the first (EDT) is taken
        ("America/New_York", datetime(2031, 11, 2, 1, 30), datetime(2031, 11, 2, 5, 30), "EDT"),
    ],
)
def test_time_zone_round_trip(client, login, organizer, group, zone, local, utc, abbr):
    event = svc.create_event(
        group,
        organizer,
        event_input(timezone=zone, starts_local=local, ends_local=local + timedelta(hours=2)),
        now=datetime(2031, 1, 1, tzinfo=UTC),
    )
    db.session.commit()
    assert event.starts_at == utc.replace(tzinfo=UTC)

    login(client, organizer)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert f"{local:%H:%M}" in page
    assert abbr in page
    edit = client.get(f"/e/{event.key}/edit").get_data(as_text=True)
    assert f'value="{local:%Y-%m-%d}"' in edit
    assert f'value="{local:%H:%M}"' in edit
    assert f'<option selected value="{zone}">' in edit


def test_create_refuses_a_start_in_the_past_with_a_given_clock(organizer, group):
    now = datetime(2031, 5, 6, 17, 30, tzinfo=UTC)  # 19:30 in Paris, after the 19:00 start
    with pytest.raises(DomainError) as err:
        svc.create_event(group, organizer, event_input(), now=now)
    assert err.value.code == "event_in_past"
    assert err.value.details["field"] == "start_date"


# ------------------------------------------------------------------ permissions


def test_a_member_cannot_create_edit_or_cancel(client, login, group):
    member = make_user()
    add_member(group, member)
    event = minute_event(group)
    login(client, member)
    assert client.get("/g/acme-alumni/events/new").status_code == 403
    assert client.post("/g/acme-alumni/events/new", data=form_data()).status_code == 403
    assert client.get(f"/e/{event.key}/edit").status_code == 403
    assert client.post(f"/e/{event.key}/edit", data=form_data(title="Hacked")).status_code == 403
    assert client.get(f"/e/{event.key}/cancel").status_code == 403
    assert client.post(f"/e/{event.key}/cancel").status_code == 403
    db.session.expire_all()
    assert event_count() == 1
    assert (event.title, event.cancelled_at) == ("Monthly meetup", None)
    assert "Organizer" not in client.get(f"/e/{event.key}").get_data(as_text=True)


def test_one_groups_organizer_cannot_touch_another_groups_event(client, login, group):
    other = make_user()
    make_group(other, slug="rivals")
    public = minute_event(group)
    private = minute_event(group, visibility="members")
    login(client, other)
    assert client.get("/g/acme-alumni/events/new").status_code == 403
    assert client.post(f"/e/{public.key}/edit", data=form_data(title="Hacked")).status_code == 403
    assert client.post(f"/e/{public.key}/cancel").status_code == 403
    # A members-only event isn't even confirmed to exist.
    assert client.post(f"/e/{private.key}/edit", data=form_data()).status_code == 404
    assert client.post(f"/e/{private.key}/cancel").status_code == 404
    db.session.expire_all()
    assert public.title == "Monthly meetup" and public.cancelled_at is None


def test_service_checks_permission_too(group):
    stranger = make_user()
    event = minute_event(group)
    with pytest.raises(DomainError, match="forbidden"):
        svc.create_event(group, stranger, event_input())
    with pytest.raises(DomainError, match="forbidden"):
        svc.update_event(event, stranger, event_input())
    with pytest.raises(DomainError, match="forbidden"):
        svc.cancel_event(event, stranger)


def test_members_only_event_is_a_404_to_non_members_indistinguishable_from_no_event(
    client, login, group
):
    event = minute_event(group, visibility="members", title="Secret plans")
    unknown = client.get("/e/nosuchkey123")
    anonymous = client.get(f"/e/{event.key}")
    assert anonymous.status_code == unknown.status_code == 404
    # Same page but for the path in the "Sign in" link's ?next=
    same = anonymous.get_data(as_text=True).replace(event.key, "nosuchkey123")
    assert same == unknown.get_data(as_text=True)
    assert b"Secret plans" not in anonymous.data

    outsider = make_user()
    login(client, outsider)
    resp = client.get(f"/e/{event.key}")
    assert resp.status_code == 404
    assert b"Secret plans" not in resp.data

    member = make_user()
    add_member(group, member)
    login(client, member)
    resp = client.get(f"/e/{event.key}")
    assert resp.status_code == 200
    assert b"Secret plans" in resp.data
    assert b"Members only" in resp.data


def test_a_too_long_key_is_a_plain_404(client):
    assert client.get("/e/" + "x" * 500).status_code == 404


def test_signed_out_create_goes_to_sign_in(client, group):
    resp = client.get("/g/acme-alumni/events/new")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]
    assert client.post("/g/acme-alumni/events/new", data=form_data()).status_code == 302
    assert event_count() == 0


def test_unknown_group_is_404(client, login, organizer):
    login(client, organizer)
    assert client.get("/g/nope/events/new").status_code == 404


def test_create_needs_a_csrf_token(csrf_on, client, login, organizer, group):
    login(client, organizer)
    resp = client.post("/g/acme-alumni/events/new", data=form_data())
    assert resp.status_code == 400
    assert event_count() == 0


# ------------------------------------------------------------------ edit and cancel


def test_edit_prefills_and_saves(client, login, organizer, group):
    event = minute_event(group, description="Old")
    login(client, organizer)
    page = client.get(f"/e/{event.key}/edit").get_data(as_text=True)
    assert 'value="Monthly meetup"' in page
    assert "Old</textarea>" in page

    resp = client.post(f"/e/{event.key}/edit", data=form_data(title="Renamed"))
    assert resp.status_code == 302
    db.session.expire_all()
    assert event.title == "Renamed"
    assert event.starts_at == datetime(2031, 5, 6, 17, 0, tzinfo=UTC)


def test_a_new_event_starts_as_a_copy_of_an_earlier_one(client, login, organizer, group):
    """The next of a monthly series: the organizer picks a day, the rest is filled in."""
    login(client, organizer)
    data = form_data(
        title="Data night #12",
        start_time="19:30",
        end_time="22:00",
        capacity="60",
        visibility="members",
        claim_window_hours="6",
        rsvp_deadline_date=FUTURE.isoformat(),
        rsvp_deadline_time="12:00",
    )
    assert client.post("/g/acme-alumni/events/new", data=data).status_code == 302
    first = db.session.scalar(select(Event))
    page = client.get(f"/e/{first.key}").get_data(as_text=True)
    copy_link = f'href="/g/acme-alumni/events/new?like={first.key}"'
    assert copy_link in page

    form = client.get(f"/g/acme-alumni/events/new?like={first.key}")
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    assert "A copy of “Data night #12” of 6 May 2031" in page
    for name, value in (
        ("title", "Data night #12"),
        ("start_time", "19:30"),
        ("end_time", "22:00"),
        ("venue_name", "The Loft"),
        ("capacity", "60"),
        ("claim_window_hours", "6"),
        ("start_date", ""),
        ("end_date", ""),
        ("rsvp_deadline_date", ""),
        ("rsvp_deadline_time", ""),
    ):
        assert re.search(rf'name="{name}"[^>]*value="{re.escape(value)}"', page) or (
            not value and not re.search(rf'name="{name}"[^>]*value="[^"]', page)
        ), name
    assert "Bring a **demo**.</textarea>" in page
    assert re.search(r'checked[^>]*value="members"|value="members"[^>]*checked', page)

    nxt = form_data(**{**data, "start_date": "2031-06-03", "rsvp_deadline_date": ""})
    nxt["rsvp_deadline_time"] = ""
    assert client.post("/g/acme-alumni/events/new", data=nxt).status_code == 302
    second = db.session.scalar(select(Event).where(Event.id != first.id))
    assert second.key != first.key and second.title == first.title
    assert second.starts_at == datetime(2031, 6, 3, 17, 30, tzinfo=UTC)
    assert (second.capacity, second.visibility) == (60, "members")
    db.session.expire_all()
    assert first.starts_at == datetime(2031, 5, 6, 17, 30, tzinfo=UTC)  # left as it was


def test_only_an_event_of_the_same_group_is_copied(client, login, organizer, group):
    other = make_group(slug="elsewhere")
    theirs = minute_event(other, title="Their secret dinner")
    login(client, organizer)
    for like in (theirs.key, "nope", "x" * 300, ""):
        resp = client.get("/g/acme-alumni/events/new", query_string={"like": like})
        page = resp.get_data(as_text=True)
        assert resp.status_code == 200 and "A copy of" not in page, like
        assert "Their secret dinner" not in page
    member = make_user()
    add_member(group, member)
    mine = minute_event(group)
    login(client, member)
    assert client.get(f"/g/acme-alumni/events/new?like={mine.key}").status_code == 403
    assert "?like=" not in client.get(f"/e/{mine.key}").get_data(as_text=True)


def test_edit_with_no_change_says_so(client, login, organizer, group):
    login(client, organizer)
    client.post("/g/acme-alumni/events/new", data=form_data())
    event = db.session.scalar(select(Event))
    resp = client.post(f"/e/{event.key}/edit", data=form_data(), follow_redirects=True)
    assert b"Nothing changed" in resp.data
    db.session.expire_all()
    assert event.sequence == 0


def test_update_returns_changed_fields_and_bumps_sequence_only_for_time_or_place(organizer, group):
    now = datetime(2031, 1, 1, tzinfo=UTC)
    data = event_input()
    event = svc.create_event(group, organizer, data, now=now)

    def edit(**changes) -> set[str]:
        nonlocal data
        data = dataclasses.replace(data, **changes)
        return svc.update_event(event, organizer, data, now=now)

    assert edit() == set()
    assert edit(description="More **detail**") == {"description"}
    assert edit(capacity=10, reminder_hours=None) == {"capacity", "reminder_hours"}
    assert edit(visibility="members", title="New title") == {"visibility", "title"}
    assert event.sequence == 0  # nothing that moves it in a calendar

    assert edit(starts_local=datetime(2031, 5, 6, 19, 30)) == {"starts_at"}
    assert event.sequence == 1
    assert edit(venue_name="Other place") == {"venue_name"}
    assert event.sequence == 2
    assert edit(venue_address="2 Rue de Rivoli", ends_local=datetime(2031, 5, 6, 22, 0)) == {
        "venue_address",
        "ends_at",
    }
    assert event.sequence == 3
    # Same wall clock in another zone is another moment.
    assert edit(timezone="Europe/London") == {"timezone", "starts_at", "ends_at"}
    assert event.sequence == 4


def test_an_edit_applies_to_the_event_as_committed(organizer, group):
    """The edit is read before the lock, and another change may commit meanwhile (an
    organizer in another tab, or a sequence raised since): the sequence the edit raises is
    the committed one plus one, so its invites outrank every invite already sent."""
    now = datetime(2031, 1, 1, tzinfo=UTC)
    data = event_input()
    event = svc.create_event(group, organizer, data, now=now)
    database.commit_writes(db.session)  # what the request read stays loaded
    assert event.sequence == 0
    with db.engine.begin() as other:
        other.execute(update(Event).where(Event.id == event.id).values(sequence=5))
    moved = dataclasses.replace(data, starts_local=datetime(2031, 5, 6, 19, 30))
    assert svc.update_event(event, organizer, moved, now=now) == {"starts_at"}
    db.session.commit()
    assert db.session.scalar(select(Event.sequence).where(Event.id == event.id)) == 6
    assert svc.cancel_event(event, organizer, now=now)
    db.session.commit()
    assert db.session.scalar(select(Event.sequence).where(Event.id == event.id)) == 7


def test_a_past_event_can_be_edited_but_not_moved_into_the_past(client, login, organizer, group):
    start = (utcnow() - timedelta(days=1)).replace(second=0, microsecond=0)
    event = make_event(group, starts_at=start, timezone="UTC")
    login(client, organizer)
    same_time = form_data(
        timezone="UTC",
        start_date=f"{start:%Y-%m-%d}",
        start_time=f"{start:%H:%M}",
        end_date=f"{event.ends_at:%Y-%m-%d}",
        end_time=f"{event.ends_at:%H:%M}",
        description="Slides: https://example.org/slides",
    )
    assert client.post(f"/e/{event.key}/edit", data=same_time).status_code == 302
    earlier = dict(same_time, start_time=f"{start - timedelta(hours=1):%H:%M}")
    if start.hour == 0:  # keep the same day so only the time moves
        earlier["start_time"] = "00:00" if start.minute else "23:59"
    resp = client.post(f"/e/{event.key}/edit", data=earlier)
    assert resp.status_code == 400
    assert b"That start is in the past" in resp.data
    db.session.expire_all()
    assert event.starts_at == start
    assert event.description == "Slides: https://example.org/slides"


def test_cancel_asks_first_then_marks_the_event_cancelled(client, login, organizer, group):
    event = minute_event(group)
    login(client, organizer)
    confirm = client.get(f"/e/{event.key}/cancel")
    assert confirm.status_code == 200
    assert b"Yes, cancel the event" in confirm.data
    db.session.expire_all()
    assert event.cancelled_at is None

    resp = client.post(f"/e/{event.key}/cancel", follow_redirects=True)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "This event has been cancelled" in page
    assert "Cancelled" in page
    assert f"/e/{event.key}/edit" not in page
    db.session.expire_all()
    assert event.cancelled_at is not None
    assert event.sequence == 1

    # A second click changes nothing; the event can't be edited any more.
    client.post(f"/e/{event.key}/cancel")
    db.session.expire_all()
    assert event.sequence == 1
    resp = client.post(f"/e/{event.key}/edit", data=form_data())
    assert resp.status_code == 409 and b"has been cancelled and can&#39;t be changed" in resp.data


def test_an_event_that_is_over_cannot_be_cancelled(client, login, organizer, group):
    event = make_event(group, starts_at=utcnow() - timedelta(hours=5))
    make_rsvp(event, make_user())
    login(client, organizer)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "Introductions" in page and f"/e/{event.key}/cancel" not in page
    confirm = client.get(f"/e/{event.key}/cancel").get_data(as_text=True)
    assert "already over" in confirm and "Yes, cancel the event" not in confirm

    resp = client.post(f"/e/{event.key}/cancel")
    assert resp.status_code == 409 and b"nothing to cancel" in resp.data
    db.session.expire_all()
    assert event.cancelled_at is None and event.sequence == 0
    # Nobody is told it was cancelled, and it stays in their calendars.
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_cancel_without_csrf_token_is_refused(csrf_on, client, login, organizer, group):
    event = minute_event(group)
    login(client, organizer)
    assert client.post(f"/e/{event.key}/cancel").status_code == 400
    db.session.expire_all()
    assert event.cancelled_at is None


# ------------------------------------------------------------------ the event page


def test_open_graph_and_twitter_tags(client, group):
    event = svc.create_event(
        group,
        group.memberships[0].user,
        event_input(
            title="Drinks & demos",
            timezone="America/New_York",
            starts_local=datetime(2031, 7, 4, 18, 30),
            ends_local=datetime(2031, 7, 4, 21, 0),
            venue_name="Joe's Pub",
            venue_address="425 Lafayette St, New York",
        ),
        now=datetime(2031, 1, 1, tzinfo=UTC),
    )
    db.session.commit()
    tags = MetaTags(client.get(f"/e/{event.key}").get_data(as_text=True)).tags
    assert tags["og:title"] == "Drinks & demos"
    assert tags["og:description"] == (
        "Fri 4 Jul 2031, 18:30 EDT · Joe's Pub, 425 Lafayette St, New York"
    )
    assert tags["og:url"] == f"http://localhost/e/{event.key}"
    assert tags["og:type"] == "website"
    # The link card image (#32 item 6) makes it a large card.
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:image"].startswith(f"http://localhost/e/{event.key}/card.png?v=")
    assert tags["twitter:title"] == "Drinks & demos"
    assert "robots" not in tags


def test_members_only_share_tags_are_generic(client, login, group):
    event = minute_event(group, visibility="members", title="Secret plans")
    member = make_user()
    add_member(group, member)
    login(client, member)
    html = client.get(f"/e/{event.key}").get_data(as_text=True)
    tags = MetaTags(html).tags
    assert "Secret" not in tags["og:title"] and "Secret" not in tags["og:description"]
    assert "The Loft" not in tags["og:description"]
    assert tags["robots"] == "noindex"


def test_description_markdown_is_sanitised(client, group):
    event = minute_event(
        group,
        description=(
            "Hello <script>alert('x')</script>\n\n"
            "[click](javascript:alert(1)) and [site](https://example.org) "
            "and https://bare.example.org\n\n"
            '<img src=x onerror="alert(1)">'
        ),
    )
    html = client.get(f"/e/{event.key}").get_data(as_text=True)
    description = html.split('class="event-description"', 1)[1].split("</section>", 1)[0]
    assert "<script" not in description
    assert 'href="javascript:' not in description
    assert "<img" not in description
    assert "&lt;img" in description  # shown as text, never as a tag
    assert '<a href="https://example.org" rel="noopener nofollow ugc">site</a>' in description
    assert 'href="https://bare.example.org"' in description


def test_map_link_is_an_encoded_openstreetmap_search(client, group):
    address = "Rudi-Dutschke-Straße 23 & Hof 2, 10969 Berlin"
    event = minute_event(group, venue_address=address)
    url = svc.map_url(address)
    assert url == (
        "https://www.openstreetmap.org/search?query="
        "Rudi-Dutschke-Stra%C3%9Fe+23+%26+Hof+2%2C+10969+Berlin"
    )
    html = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert f'href="{url}"' in html


def test_past_event_says_it_has_ended(client, group):
    event = make_event(group, starts_at=utcnow() - timedelta(days=2))
    assert b"This event has ended" in client.get(f"/e/{event.key}").data


def test_past_event_page_tells_each_person_how_it_went(client, login, group):
    start = (utcnow() - timedelta(days=2)).replace(second=0, microsecond=0)
    event = make_event(group, starts_at=start, capacity=10)
    came, no_show, waited, stranger = (make_user() for _ in range(4))
    for user in (came, no_show, waited, stranger):
        add_member(group, user)
    checked_in = start + timedelta(minutes=7)
    make_rsvp(event, came, checked_in_at=checked_in, checked_in_by="Sam")
    make_rsvp(event, no_show)
    make_rsvp(event, waited, status="waitlisted")
    at = format_in_zone(checked_in, event.timezone, "HH:mm")
    expected = {
        came: f"You were there: checked in at {at}.",
        no_show: "You had a seat at this event.",
        waited: "You were on the waitlist; no seat opened up.",
        stranger: "This event has ended.</p>",
    }
    for user, line in expected.items():
        page = login(client, user).get(f"/e/{event.key}").get_data(as_text=True)
        assert line in page, user.email
        assert "2 people signed up · 1 came" in page
        # Nothing left to book or to put in a calendar.
        assert "seats taken" not in page and "Add to calendar" not in page
        assert 'name="answer"' not in page


def test_past_event_without_check_ins_counts_only_sign_ups(client, group):
    event = make_event(group, starts_at=utcnow() - timedelta(days=2), capacity=10)
    make_rsvp(event, make_user())
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "1 person signed up</span>" in page
    assert "came" not in page


def test_capacity_and_attendance_are_shown(client, group):
    event = minute_event(group, capacity=2)
    make_rsvp(event, make_user())
    make_rsvp(event, make_user())
    make_rsvp(event, make_user(), status="waitlisted")
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert "2 people going · 2 seats" in page
    assert "Full" in page
    assert "1 on the waitlist" in page


def test_organizer_sees_organizer_links(client, login, organizer, group):
    event = minute_event(group)
    login(client, organizer)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert f'href="/e/{event.key}/edit"' in page
    assert f'href="/e/{event.key}/cancel"' in page


def test_event_page_query_count_does_not_grow(app, client, login, organizer, group):
    event = minute_event(group, capacity=100)
    member = make_user()
    add_member(group, member)
    make_rsvp(event, member)
    login(client, organizer)

    def queries() -> int:
        db.session.expire_all()
        with count_queries(cold=False) as statements:
            assert client.get(f"/e/{event.key}").status_code == 200
        return len(statements)

    few = queries()
    for _ in range(15):
        make_rsvp(event, make_user())
    assert queries() == few
    assert few <= 8


def test_organizer_links_to_other_pages_only_when_they_exist(app, client, login, organizer, group):
    for endpoint, rule in (
        ("attendees.index", "/e/<event_key>/attendees"),
        ("door.page", "/e/<event_key>/door"),
    ):
        if endpoint not in app.view_functions:
            app.add_url_rule(rule, endpoint=endpoint, view_func=lambda event_key: "")
    event = minute_event(group)
    login(client, organizer)
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert f'href="/e/{event.key}/attendees"' in page
    assert f'href="/e/{event.key}/door"' in page
    assert ("/intros" in page) == ("intros.review" in app.view_functions)


def test_co_organizer_can_edit_and_cancel(client, login, group):
    co = make_user()
    add_member(group, co, role="co_organizer")
    event = minute_event(group)
    login(client, co)
    assert client.post(f"/e/{event.key}/edit", data=form_data(title="Renamed")).status_code == 302
    assert client.post(f"/e/{event.key}/cancel").status_code == 302
    db.session.expire_all()
    assert event.title == "Renamed" and event.cancelled_at is not None


def test_not_found_page_invites_members_to_sign_in(client):
    resp = client.get("/e/nosuchkey123")
    assert resp.status_code == 404
    assert b"If it is for members of a group, sign in to see it." in resp.data


# ------------------------------------------------------------------ after creating


def test_the_new_event_opens_with_its_link_to_copy_and_its_maker_holds_a_seat(
    client, login, organizer, group
):
    group.platform = "mailing_list"
    db.session.commit()
    login(client, organizer)
    client.post("/g/acme-alumni/events/new", data={**form_data(), "capacity": "1"})
    event = db.session.scalar(select(Event))
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    # Tagged with the channel it is for (the group's platform by default), said under it.
    url = f"http://localhost/e/{event.key}?via=mailing-list"
    assert 'id="event-link-new"' in page and f'value="{url}"' in page
    assert "Answers through this link count for “" in page and 'href="#link_for"' in page
    assert 'data-copy-from="event-link-new"' in page and "js/copy.js" in page
    # Once: afterwards the link sits with the organizer's tools.
    page = client.get(f"/e/{event.key}").get_data(as_text=True)
    assert 'id="event-link-new"' not in page and 'id="event-link"' in page
    # The organizer counts as going (a seat and a ticket): with one seat it is full, and
    # they are never offered its waitlist.
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.event_id == event.id))
    assert (rsvp.user_id, rsvp.status) == (organizer.id, "going") and rsvp.ticket_token
    assert "1 person going" in page and "Join the waitlist" not in page
    assert "You're going!" in page


def test_a_co_organizer_without_a_seat_is_not_offered_the_waitlist(client, login, group):
    event = make_event(group, capacity=1)
    make_rsvp(event, make_user())
    co = make_user(name="Cy")
    add_member(group, co, role="co_organizer")
    page = login(client, co).get(f"/e/{event.key}").get_data(as_text=True)
    assert "Join the waitlist" not in page and "join the waitlist" not in page
    assert "you don't need a seat to get in" in page
    member = make_user(name="Mo")
    add_member(group, member)
    page = login(client, member).get(f"/e/{event.key}").get_data(as_text=True)
    assert "Join the waitlist" in page  # (the control)
