"""Every figure of the insights page against a group whose right answers are known by hand
(tests/insights_fixture.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from meetup.extensions import db
from meetup.forms.insights import FAR_END
from meetup.models import utcnow
from meetup.services.community import members as community_members
from meetup.services.events import announcements, answers
from meetup.services.insights import charts, figures
from meetup.services.insights.channels import Channel
from meetup.worker import deliver_due, jobs
from tests import insights_fixture
from tests.factories import count_queries, make_event, make_group, make_rsvp, make_user

ALL_TIME = figures.Period(None, FAR_END)


@pytest.fixture
def known(app):
    return insights_fixture.build()


def _stages(f: figures.Funnel) -> dict[str, int]:
    return dict(f.stages())


def test_the_funnel_overall_and_per_channel(known):
    overall, channels = figures.funnel(known.group, ALL_TIME)
    assert _stages(overall) == {
        "reached": 7,
        "joined": 7,
        "going": 7,  # a b c x, d and e (gave their seat up), f (E3)
        "came": 4,  # a c x d; E4 was cancelled
        "introduced": 3,  # a c x: sent; c+x never was, b+c removed
        "accepted": 2,  # a and c said yes
        "met": 1,  # a
    }
    by = {f.channel: _stages(f) for f in channels}
    assert by[Channel("invite", "Slack #general")] == {
        "reached": 3, "joined": 3, "going": 3, "came": 2, "introduced": 2, "accepted": 2, "met": 1
    }  # fmt: skip
    assert by[Channel("invite", "LinkedIn")] == {
        "reached": 2, "joined": 2, "going": 2, "came": 1, "introduced": 0, "accepted": 0, "met": 0
    }  # fmt: skip
    assert by[Channel("import")] == {
        "reached": 1, "joined": 1, "going": 1, "came": 0, "introduced": 0, "accepted": 0, "met": 0
    }  # fmt: skip
    assert by[Channel("created")] == {
        "reached": 1, "joined": 1, "going": 0, "came": 0, "introduced": 0, "accepted": 0, "met": 0
    }  # fmt: skip
    assert by[Channel("none")] == {
        "reached": 0, "joined": 0, "going": 1, "came": 1, "introduced": 1, "accepted": 0, "met": 0
    }  # fmt: skip
    assert len(channels) == 5


def test_the_funnel_over_the_last_month(known):
    """E2 and E3 only (E1 began 200 days ago); d and e joined during it."""
    period = figures.Period(utcnow() - timedelta(days=30), FAR_END)
    overall, _ = figures.funnel(known.group, period)
    assert _stages(overall) == {
        "reached": 7, "joined": 2, "going": 5, "came": 2, "introduced": 0, "accepted": 0, "met": 0
    }  # fmt: skip


def test_each_events_figures(known):
    rows = {e.title: e for e in figures.event_figures(known.group, ALL_TIME)}
    assert list(rows) == ["Spring meetup", "Autumn meetup", "Winter meetup"]  # oldest first
    spring, autumn, winter = rows.values()
    assert (spring.going, spring.waitlisted, spring.came, spring.no_shows) == (4, 1, 3, 1)
    assert spring.no_show_rate == pytest.approx(0.25)
    assert (spring.late_cancellations, spring.walk_ins, spring.promoted_came) == (1, 1, 1)
    assert (autumn.going, autumn.came, autumn.no_shows) == (3, 2, 1)
    assert autumn.no_show_rate == pytest.approx(1 / 3)
    assert (autumn.late_cancellations, autumn.walk_ins, autumn.promoted_came) == (0, 0, 0)
    assert (winter.going, winter.ended, winter.no_shows) == (2, False, None)
    assert winter.no_show_rate is None
    i = spring.intros
    assert (i.proposed, i.accepted, i.declined, i.met) == (3, 1, 1, 1)
    assert autumn.intros.proposed == 0


def test_rsvps_by_the_link_they_came_through(known):
    """E1: a (came) and b (no-show) via slack-general; E2: a and d (came) via linkedin; the
    rest untracked (c, x at E1, b at E2 a no-show; e and f going to E3, not over)."""
    rows = {c.channel: c for c in figures.link_channels(known.group, ALL_TIME)}
    assert set(rows) == {"slack-general", "linkedin", ""}
    slack, linkedin, untracked = rows["slack-general"], rows["linkedin"], rows[""]
    assert (slack.going, slack.came, slack.no_shows, slack.no_show_rate) == (2, 1, 1, 0.5)
    assert (linkedin.going, linkedin.came, linkedin.no_shows) == (2, 2, 0)
    assert (untracked.going, untracked.came, untracked.no_shows) == (5, 2, 1)


def test_one_events_figures(known):
    (only,) = figures.event_figures(known.group, ALL_TIME, event_id=known.events["e2"].id)
    assert (only.title, only.going, only.came) == ("Autumn meetup", 3, 2)


def test_the_trend_chart_draws_past_events_only(known):
    events = figures.event_figures(known.group, ALL_TIME)
    trend = charts.trend_chart(events)
    assert [b.figures.title for b in trend.bars] == ["Spring meetup", "Autumn meetup"]
    spring, autumn = trend.bars
    assert spring.going_h == charts.PLOT_BOTTOM - charts.PLOT_TOP  # the tallest bar: 4 going
    assert spring.came_h == pytest.approx(spring.going_h * 3 / 4, abs=0.1)
    # The no-show rate line: 25 % then 33 %, from the bottom.
    (x1, y1), (x2, y2) = (map(float, p.split(",")) for p in trend.rate_points.split())
    span = charts.PLOT_BOTTOM - charts.PLOT_TOP
    assert y1 == pytest.approx(charts.PLOT_BOTTOM - span / 4, abs=0.1)
    assert y2 == pytest.approx(charts.PLOT_BOTTOM - span / 3, abs=0.1)
    assert charts.trend_chart([e for e in events if not e.ended]) is None


def test_funnel_bars_are_as_long_as_their_counts(known):
    overall, _ = figures.funnel(known.group, ALL_TIME)
    bars = {b.stage: b for b in charts.funnel_chart(overall).bars}
    assert bars["reached"].width == charts.WIDTH
    assert bars["met"].width == pytest.approx(charts.WIDTH / 7, abs=0.1)
    assert bars["came"].share == pytest.approx(4 / 7)


def test_the_figures_take_the_same_queries_with_more_data(known):
    def queries() -> int:
        with count_queries() as seen:
            figures.funnel(known.group, ALL_TIME)
            figures.event_figures(known.group, ALL_TIME)
        return len(seen)

    before = queries()
    for n in range(5):
        event = make_event(known.group, starts_at=utcnow() - timedelta(days=50 + n))
        for _ in range(3):
            make_rsvp(event, make_user(), checked_in_at=event.starts_at)
    assert queries() == before <= 6  # the group, three for the funnel, two for the events


def test_cancelling_and_the_waitlist_leave_the_marks_the_figures_read(app):
    """Through the real answers: a seat given up 12 hours before is a late cancellation, and
    the person it passes to off the waitlist is a promotion (who then came)."""
    organizer, a, b = make_user(), make_user(), make_user()
    group = make_group(organizer)
    now = utcnow().replace(microsecond=0)
    event = make_event(group, starts_at=now + timedelta(hours=12), capacity=1)
    answers.answer(event, a, True, now=now)
    waiting = answers.answer(event, b, True, now=now)
    assert waiting.status == "waitlisted" and waiting.promoted_at is None
    cancelled = answers.answer(event, a, False, now=now + timedelta(minutes=1))
    db.session.commit()
    assert cancelled.cancelled_at == now + timedelta(minutes=1)
    db.session.refresh(waiting)
    assert waiting.status == "going" and waiting.promoted_at == now + timedelta(minutes=1)
    waiting.checked_in_at = event.starts_at
    db.session.commit()
    (figs,) = figures.event_figures(group, ALL_TIME, now=event.ends_at)
    assert (figs.going, figs.came, figs.late_cancellations, figs.promoted_came) == (1, 1, 1, 1)
    answers.answer(event, a, True, now=now + timedelta(minutes=2))  # back on the waitlist
    db.session.commit()
    (figs,) = figures.event_figures(group, ALL_TIME, now=event.ends_at)
    assert (figs.waitlisted, figs.late_cancellations) == (1, 0)


def test_people_reached_counts_who_announcements_were_emailed_to(known):
    """E3 announced to the group (seven members take announcements) and sent; then a leaves.
    A former member emailed about one of the period's events is still reached (as "none");
    a period without E3 doesn't count them."""
    e3, a = known.events["e3"], known.people["a"]
    announcements.announce(e3, known.organizer)
    db.session.commit()
    jobs.run_jobs(jobs=[announcements.queue_announcements])
    assert deliver_due().sent == 7
    community_members.leave(known.group, a)
    db.session.commit()

    overall, channels = figures.funnel(known.group, ALL_TIME)
    assert (overall.reached, overall.joined) == (7, 6)  # six members, and a
    by = {f.channel: f for f in channels}
    assert (by[Channel("none")].reached, by[Channel("none")].going) == (1, 2)  # a; a and x
    assert by[Channel("invite", "Slack #general")].reached == 2  # b and c

    before_e3 = figures.Period(None, e3.starts_at - timedelta(days=1))
    assert figures.funnel(known.group, before_e3)[0].reached == 6
