"""A group whose insights are known by hand (tests/test_insights_*.py).

Members: the organizer (created the group), a, b, c through the "Slack #general" link, d and e
through "LinkedIn", f imported; x answers a public event without being a member. d and e
joined 5 days ago, everyone else 400 days ago.

E1, 200 days ago, capacity 4: a came; b no-show; c came off the waitlist and came; x walked in;
d gave up the seat 2 hours before (late), e 48 hours before (not late); f still waitlisted.
Introductions at E1: a+c sent, both said yes, a said they met; a+x sent, a said no; c+x
proposed, not sent; b+c removed.
E2, 10 days ago: a and d came, b no-show. E3 in a week: e and f going. E4, 20 days ago, was
cancelled (a came anyway): left out of everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from meetup.extensions import db
from meetup.models import CheckinLog, Event, Group, IntroPair, Membership, User, utcnow
from meetup.services.tokens import new_token
from tests.factories import add_member, make_event, make_group, make_invite, make_rsvp, make_user


@dataclass
class Known:
    group: Group
    organizer: User
    people: dict[str, User]
    events: dict[str, Event]


def build(now=None) -> Known:
    now = (now or utcnow()).replace(microsecond=0)
    organizer = make_user(name="Olga Organizer")
    group = make_group(organizer, name="Data Paris")
    slack, linkedin = make_invite(group, "Slack #general"), make_invite(group, "LinkedIn")
    people = {k: make_user(name=f"Person {k.upper()}") for k in "abcdefx"}
    long_ago, lately = now - timedelta(days=400), now - timedelta(days=5)
    for k in "abc":
        add_member(group, people[k], invite_id=slack.id, source="invite", joined_at=long_ago)
    for k in "de":
        add_member(group, people[k], invite_id=linkedin.id, source="invite", joined_at=lately)
    add_member(group, people["f"], source="import", joined_at=long_ago)
    db.session.query(Membership).filter_by(user_id=organizer.id).update({"joined_at": long_ago})
    db.session.commit()

    e1 = make_event(group, title="Spring meetup", starts_at=now - timedelta(days=200), capacity=4)
    e2 = make_event(group, title="Autumn meetup", starts_at=now - timedelta(days=10))
    e3 = make_event(group, title="Winter meetup", starts_at=now + timedelta(days=7))
    e4 = make_event(
        group, title="Cancelled meetup", starts_at=now - timedelta(days=20), cancelled_at=now
    )
    p, came = people, {"checked_in_at": e1.starts_at + timedelta(minutes=5)}
    make_rsvp(e1, p["a"], channel="slack-general", **came)
    make_rsvp(e1, p["b"], channel="slack-general")
    make_rsvp(e1, p["c"], promoted_at=e1.starts_at - timedelta(days=1), **came)
    walk_in = make_rsvp(e1, p["x"], **came)
    db.session.add(
        CheckinLog(
            event_id=e1.id,
            rsvp_id=walk_in.id,
            nonce="walk-in-x",
            action="checkin",
            method="walkin",
            status="checked_in",
            actor="user:1",
            scanned_at=e1.starts_at,
        )
    )
    make_rsvp(e1, p["d"], "not_going", cancelled_at=e1.starts_at - timedelta(hours=2))
    make_rsvp(e1, p["e"], "not_going", cancelled_at=e1.starts_at - timedelta(hours=48))
    make_rsvp(e1, p["f"], "waitlisted")
    for k in "ad":
        make_rsvp(e2, p[k], checked_in_at=e2.starts_at, channel="linkedin")
    make_rsvp(e2, p["b"])
    make_rsvp(e3, p["e"])
    make_rsvp(e3, p["f"])
    make_rsvp(e4, p["a"], checked_in_at=e4.starts_at)

    def pair(one: User, two: User, **kw) -> None:
        low, high = sorted((one, two), key=lambda u: u.id)
        if low is not one:  # answers are given as (one's, two's)
            kw = {k[:-1] + {"a": "b", "b": "a"}[k[-1]]: v for k, v in kw.items()}
        db.session.add(IntroPair(event_id=e1.id, user_a_id=low.id, user_b_id=high.id, **kw))

    sent = e1.ends_at + timedelta(hours=18)
    pair(p["a"], p["c"], answer_a="yes", answer_b="yes", met_a="yes")
    pair(p["a"], p["x"], answer_a="no")
    pair(p["c"], p["x"])
    pair(p["b"], p["c"])
    db.session.flush()
    for row, status, when in zip(
        db.session.query(IntroPair).order_by(IntroPair.id),
        ("accepted", "declined", "proposed", "removed"),
        (sent, sent, None, None),
        strict=True,
    ):
        row.status, row.sent_at = status, when
        if when is not None:  # each side's answer links
            row.token_a, row.token_b = new_token(), new_token()
    db.session.commit()
    return Known(group, organizer, people, {"e1": e1, "e2": e2, "e3": e3, "e4": e4})
