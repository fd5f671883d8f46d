"""The daily RSVP digest: off by default, turned on from the insights page, sent to each
organizer through a real SMTP server only on days when something changed, once a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from meetup.extensions import db
from meetup.models import Group
from meetup.services.insights import digest
from meetup.worker import jobs
from tests.factories import add_member, make_event, make_group, make_rsvp, make_user

TODAY = datetime.now(UTC).replace(microsecond=0)  # the worker delivers what is due by now
MIDNIGHT = TODAY.replace(hour=0, minute=0, second=0)
YESTERDAY = MIDNIGHT - timedelta(hours=18)  # 06:00 the day before


def _group_with_a_day_of_changes():
    organizer, co = make_user(name="Olga"), make_user(name="Cole")
    group = make_group(organizer, name="Data Paris")
    add_member(group, co, role="co_organizer")
    add_member(group, make_user())  # a member: no digest
    event = make_event(group, title="Winter meetup", starts_at=TODAY + timedelta(days=5))
    make_rsvp(event, make_user(), requested_at=YESTERDAY)  # new
    make_rsvp(event, make_user(), "waitlisted", requested_at=YESTERDAY + timedelta(hours=2))
    make_rsvp(event, make_user(), requested_at=YESTERDAY - timedelta(days=3))  # older
    make_rsvp(
        event,
        make_user(),
        "not_going",
        requested_at=YESTERDAY - timedelta(days=3),
        cancelled_at=YESTERDAY + timedelta(hours=5),
    )
    quiet = make_event(group, title="Quiet one", starts_at=TODAY + timedelta(days=30))
    make_rsvp(quiet, make_user(), requested_at=YESTERDAY - timedelta(days=2))
    return organizer, co, group, event


def test_the_digest_counts_the_day_before(app):
    _, _, group, _ = _group_with_a_day_of_changes()
    (changed,) = digest.changes(group.id, MIDNIGHT - timedelta(days=1), MIDNIGHT)
    assert (changed.title, changed.new, changed.cancelled) == ("Winter meetup", 2, 1)
    assert (changed.going, changed.waitlisted) == (2, 1)


def test_sent_to_each_organizer_once_over_smtp_only_when_on(make_app, smtp_server):
    port, inbox = smtp_server
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    with app.app_context():
        organizer, co, group, _ = _group_with_a_day_of_changes()
        emails = {organizer.email, co.email}
        assert jobs.run_jobs(now=TODAY, jobs=[digest.send_rsvp_digests]) == {
            "send_rsvp_digests": 0
        }  # off by default
        db.session.get(Group, group.id).rsvp_digest = True
        db.session.commit()
        for _ in range(2):
            jobs.run_jobs(now=TODAY, jobs=[digest.send_rsvp_digests])
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
    assert sorted(m["To"].addresses[0].addr_spec for m in inbox.messages) == sorted(emails)
    text = inbox.messages[0].get_body(("plain",)).get_content()
    assert "Winter meetup" in text and "2 new RSVPs, 1 cancellation" in text
    assert "Quiet one" not in text and "2 going, 1 on the waitlist" in text


def test_nothing_is_sent_on_a_day_without_changes(app):
    _, _, group, _ = _group_with_a_day_of_changes()
    group.rsvp_digest = True
    db.session.commit()
    later = TODAY + timedelta(days=2)
    assert jobs.run_jobs(now=later, jobs=[digest.send_rsvp_digests]) == {"send_rsvp_digests": 0}


def test_organizers_turn_it_on_and_off_from_the_insights_page(app, client, login):
    organizer, _, group, _ = _group_with_a_day_of_changes()
    member = make_user()
    add_member(group, member)
    url = f"/g/{group.slug}/insights/digest"
    login(client, member)
    assert client.post(url, data={"on": "1"}).status_code == 404
    login(client, organizer)
    assert client.post(url, data={"on": "1"}).status_code == 302
    db.session.refresh(group)
    assert group.rsvp_digest is True
    assert "Turn it off" in client.get(f"/g/{group.slug}/insights").get_data(as_text=True)
    client.post(url, data={"on": "0"})
    db.session.refresh(group)
    assert group.rsvp_digest is False


def test_requests_left_when_the_event_started_are_not_counted_as_waiting(app):
    """Once an event has started its pending requests are closed (services/events/approval.py):
    the morning's digest doesn't ask the organizer to review them."""
    group = make_group(make_user())
    started = make_event(
        group, title="Last night", starts_at=YESTERDAY + timedelta(hours=13), requires_approval=True
    )
    coming = make_event(
        group, title="Next week", starts_at=TODAY + timedelta(days=5), requires_approval=True
    )
    for event in (started, coming):
        make_rsvp(event, make_user(), "requested", requested_at=YESTERDAY)
    by_title = {
        c.title: c for c in digest.changes(group.id, MIDNIGHT - timedelta(days=1), MIDNIGHT)
    }
    assert (by_title["Next week"].new_requests, by_title["Next week"].requests) == (1, 1)
    assert "Last night" not in by_title  # nothing else happened there
