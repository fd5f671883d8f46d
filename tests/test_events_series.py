"""Recurring series: the rule's dates, occurrences created within the horizon and only once,
edits to the series against occurrences edited on their own, cancelling one, following."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from meetup.extensions import db
from meetup.models import Event, OutboxMessage, Series
from meetup.services.errors import DomainError
from meetup.services.events import editing
from meetup.services.events import series as svc
from meetup.worker.jobs import run_jobs
from tests.factories import add_member, make_group, make_rsvp, make_user

NOW = datetime(2027, 1, 2, 9, 0, tzinfo=UTC)
FIRST = datetime(2027, 1, 7, 19, 0)  # the first Thursday of January, Paris time


def data(**kw) -> editing.EventInput:
    values = dict(title="Rust Paris monthly", timezone="Europe/Paris", starts_local=FIRST,
                  ends_local=FIRST + timedelta(hours=2), venue_name="La Cantine",
                  capacity=30)  # fmt: skip
    values.update(kw)
    return editing.EventInput(**values)


def occurrences(series: Series) -> list[Event]:
    return list(db.session.scalars(
        select(Event).where(Event.series_id == series.id).order_by(Event.series_index)
    ))  # fmt: skip


def local_starts(series: Series) -> list[str]:
    return [svc._local_start(e).strftime("%a %Y-%m-%d %H:%M") for e in occurrences(series)]


@pytest.fixture
def organizer(app):
    user = make_user("olga@example.org", name="Olga")
    group = make_group(user, name="Rust Paris")
    return user, group


def test_monthly_on_the_first_thursday_keeps_the_local_time_across_daylight_saving(organizer):
    user, group = organizer
    series = svc.create_series(group, user, data(), frequency="monthly", count=6, now=NOW)
    assert local_starts(series) == [  # two months ahead
        "Thu 2027-01-07 19:00", "Thu 2027-02-04 19:00", "Thu 2027-03-04 19:00",
    ]  # fmt: skip
    svc.extend(series, now=NOW + timedelta(days=60))  # the horizon moves on: April comes
    assert local_starts(series)[3:] == ["Thu 2027-04-01 19:00"]
    april = occurrences(series)[3]
    assert april.starts_at.hour == 17  # summer time in Paris: 19:00 is 17:00 UTC
    assert occurrences(series)[0].starts_at.hour == 18
    assert [e.series_index for e in occurrences(series)] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("frequency", "first", "expected"),
    [
        ("weekly", datetime(2027, 1, 5, 18, 30), ["2027-01-05", "2027-01-12", "2027-01-19"]),
        ("biweekly", datetime(2027, 1, 5, 18, 30), ["2027-01-05", "2027-01-19", "2027-02-02"]),
        ("monthly", datetime(2027, 1, 29, 18, 30), ["2027-01-29", "2027-02-26", "2027-03-26"]),
    ],
)
def test_each_rule_gives_its_dates(organizer, frequency, first, expected):
    user, group = organizer
    series = svc.create_series(group, user, data(starts_local=first,
                               ends_local=first + timedelta(hours=2)), frequency=frequency,
                               count=3, now=NOW)  # fmt: skip
    assert [d.isoformat() for d in svc.occurrence_dates(series)] == expected
    assert svc.nth_weekday(date(2027, 1, 29)) == -1  # the fifth Friday is the last


def test_an_end_date_stops_the_rule_and_running_twice_creates_nothing_more(organizer):
    user, group = organizer
    series = svc.create_series(group, user, data(), frequency="weekly", until=date(2027, 1, 28),
                               now=NOW)  # fmt: skip
    assert len(occurrences(series)) == 4
    assert svc.extend(series, now=NOW) == []
    assert svc.extend(series, now=NOW + timedelta(days=300)) == []
    assert len(occurrences(series)) == 4


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"frequency": "daily", "count": 3}, "invalid"),
        ({"frequency": "weekly"}, "series_needs_an_end"),
        ({"frequency": "weekly", "count": 3, "until": date(2027, 3, 1)}, "series_needs_an_end"),
        ({"frequency": "weekly", "count": 1}, "out_of_range"),
        ({"frequency": "weekly", "count": 500}, "out_of_range"),
        ({"frequency": "weekly", "until": date(2027, 1, 1)}, "series_until_before_start"),
        ({"frequency": "weekly", "until": date(2031, 1, 1)}, "series_too_long"),
    ],
)
def test_a_bad_rule_is_refused_and_nothing_is_written(organizer, kw, code):
    user, group = organizer
    with pytest.raises(DomainError) as err:
        svc.create_series(group, user, data(), now=NOW, **kw)
    assert err.value.code == code
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Series)) == 0


def test_only_organizers_create_a_series(organizer):
    _user, group = organizer
    member = make_user("m@example.org")
    add_member(group, member)
    with pytest.raises(DomainError):
        svc.create_series(group, member, data(), frequency="weekly", count=3, now=NOW)


def test_editing_the_series_spares_occurrences_edited_on_their_own(organizer):
    user, group = organizer
    series = svc.create_series(group, user, data(), frequency="weekly", count=5, now=NOW)
    first, second, third, *_ = occurrences(series)
    moved = svc.input_of(second)
    moved.venue_name = "Station F"
    editing.update_event(second, user, moved, now=NOW)
    assert second.series_detached and not third.series_detached

    changed = svc.update_series(series, user, data(venue_name="Le Wagon",
                                starts_local=FIRST.replace(hour=18, minute=30),
                                ends_local=FIRST.replace(hour=21)), now=NOW)  # fmt: skip
    assert changed == len(occurrences(series)) - 1
    assert second.venue_name == "Station F"
    assert third.venue_name == "Le Wagon" and first.venue_name == "Le Wagon"
    assert svc._local_start(third).strftime("%H:%M") == "18:30"
    assert third.sequence == 1  # its attendees' calendars follow the move
    assert svc._local_start(third).date() == date(2027, 1, 21)  # the rule's date stays


def test_cancelling_one_occurrence_cancels_only_it_and_it_is_not_made_again(organizer):
    user, group = organizer
    series = svc.create_series(group, user, data(), frequency="weekly", count=4, now=NOW)
    guest = make_user("ana@example.org")
    add_member(group, guest)
    second = occurrences(series)[1]
    make_rsvp(second, guest)
    editing.cancel_event(second, user, now=NOW)
    assert [e.cancelled_at is not None for e in occurrences(series)] == [False, True, False, False]
    assert svc.extend(series, now=NOW + timedelta(days=1)) == []
    cancels = db.session.scalars(select(OutboxMessage).where(OutboxMessage.ics_method == "CANCEL"))
    assert [m.to_addr for m in cancels] == ["ana@example.org"]


def test_followers_hear_of_each_new_date_once(organizer):
    user, group = organizer
    series = svc.create_series(group, user, data(), frequency="monthly", count=6, now=NOW)
    fan, outsider = make_user("fan@example.org"), make_user("out@example.org")
    add_member(group, fan)
    assert svc.follow(series, fan, now=NOW) and not svc.follow(series, fan, now=NOW)
    svc.follow(series, outsider, now=NOW)
    svc.unfollow(series, outsider)
    db.session.commit()

    later = NOW + timedelta(days=40)  # April comes within the horizon
    run_jobs(later, jobs=[svc.extend_all])
    run_jobs(later, jobs=[svc.extend_all])
    sent = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.like("series_new:%"))
    ).all()
    assert [m.to_addr for m in sent] == ["fan@example.org"]
    assert "Thu 1 Apr 2027" in sent[0].subject
    assert "/e/" in sent[0].body_text and "/s/" + series.key in sent[0].body_text


def test_stopping_a_series_makes_no_new_dates(organizer):
    user, group = organizer
    series = svc.create_series(group, user, data(), frequency="weekly", count=20, now=NOW)
    made = len(occurrences(series))
    svc.stop_series(series, user, now=NOW)
    assert svc.extend(series, now=NOW + timedelta(days=60)) == []
    assert len(occurrences(series)) == made


def test_an_event_becomes_the_first_of_a_series(organizer):
    user, group = organizer
    event = editing.create_event(group, user, data(), now=NOW)
    series = svc.repeat_event(event, user, frequency="biweekly", count=3, now=NOW)
    assert occurrences(series)[0] is event and event.series_index == 0
    assert [d.isoformat() for d in svc.occurrence_dates(series)] == [
        "2027-01-07", "2027-01-21", "2027-02-04",
    ]  # fmt: skip
    with pytest.raises(DomainError) as err:
        svc.repeat_event(event, user, frequency="weekly", count=3, now=NOW)
    assert err.value.code == "already_in_series"


# ------------------------------------------------------------------ pages


def series_form(**overrides) -> dict[str, str]:
    from tests.test_events import form_data

    first = (datetime.now(UTC) + timedelta(days=10)).date()
    values = {"start_date": first.isoformat(), "repeat": "monthly", "repeat_count": "4"}
    return form_data(**{**values, **overrides})


def test_an_organizer_creates_a_series_from_the_event_form_and_members_follow_it(
    client, login, organizer
):
    user, group = organizer
    login(client, user)
    resp = client.post(f"/g/{group.slug}/events/new", data=series_form())
    assert resp.status_code == 302
    series = db.session.scalar(select(Series))
    first = occurrences(series)[0]
    assert resp.headers["Location"].endswith(f"/e/{first.key}")
    page = client.get(f"/e/{first.key}").get_data(as_text=True)
    assert f"/s/{series.key}" in page and "One date of a series" in page
    page = client.get(f"/s/{series.key}").get_data(as_text=True)
    assert "Every month, on the" in page and "Edit the series" in page
    assert page.count('href="/e/') == len(occurrences(series)) >= 2

    fan = make_user("fan@example.org")
    add_member(group, fan)
    login(client, fan)
    assert client.post(f"/s/{series.key}/follow").status_code == 302
    assert svc.is_following(series, fan)
    page = client.get(f"/s/{series.key}").get_data(as_text=True)
    assert "Stop following" in page and "Edit the series" not in page
    assert client.get(f"/s/{series.key}/edit").status_code == 403
    assert client.post(f"/s/{series.key}/stop").status_code == 403
    client.post(f"/s/{series.key}/unfollow")
    assert not svc.is_following(series, fan)


def test_a_bad_rule_is_shown_on_its_field_and_nothing_is_created(client, login, organizer):
    user, group = organizer
    login(client, user)
    resp = client.post(f"/g/{group.slug}/events/new", data=series_form(repeat_count=""))
    assert resp.status_code == 400
    assert "Say how many dates in all" in resp.get_data(as_text=True)
    resp = client.post(f"/g/{group.slug}/events/new", data=series_form(repeat="hourly"))
    assert resp.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_a_members_only_series_is_hidden_from_outsiders_like_a_missing_one(
    client, login, organizer
):
    user, group = organizer
    login(client, user)
    client.post(f"/g/{group.slug}/events/new", data=series_form(visibility="members"))
    series = db.session.scalar(select(Series))
    outsider = make_user("out@example.org")
    login(client, outsider)
    hidden, missing = client.get(f"/s/{series.key}"), client.get("/s/no-such-series")
    assert hidden.status_code == missing.status_code == 404
    assert series.title not in hidden.get_data(as_text=True)
    assert client.post(f"/s/{series.key}/follow").status_code == 404


def test_the_series_edit_form_changes_the_dates_to_come(client, login, organizer):
    user, group = organizer
    login(client, user)
    client.post(f"/g/{group.slug}/events/new", data=series_form())
    series = db.session.scalar(select(Series))
    assert "Edit the series" in client.get(f"/s/{series.key}/edit").get_data(as_text=True)
    first = occurrences(series)[0]
    form = series_form(venue_name="Le Wagon", start_time="18:30")
    del form["repeat"], form["repeat_count"]
    resp = client.post(f"/s/{series.key}/edit", data=form)
    assert resp.status_code == 302
    db.session.expire_all()
    assert {e.venue_name for e in occurrences(series)} == {"Le Wagon"}
    assert svc._local_start(first).strftime("%H:%M") == "18:30"
    edit_page = client.get(f"/e/{first.key}/edit").get_data(as_text=True)
    assert "changes here apply to this date only" in edit_page
