"""The insights page and the members page of a large group, over HTTP from gunicorn.

    python bench/insights.py [--members 50000] [--events 200] [--requests 40]
                             [--postgres [ADMIN_URL]]

Fills a fresh database (SQLite in a temporary folder, or a database bench_insights_<pid> made
and dropped on the given PostgreSQL server) through the real migrations with one group:
`--members` members from four invite links and an import, `--events` events (three quarters
past), about 110 RSVPs an event with check-ins, no-shows, late cancellations, promotions,
walk-ins and introductions with their answers. Then, signed in as the organizer, it requests
the insights page (all time) and the members page (sorted by who came most) and prints their
p95, with the SQL statements one insights page runs, counted again on a group a tenth the
size (`queries_flat`). Also said, for each page: its p95 in the server (`*_server_p95_ms`)
and the worker's CPU for it (`*_cpu_p95_ms`), from the Server-Timing header: on a busy
machine the wall-clock time is mostly the wait for a core; and its p95 right after a change
(`*_changed_p95_ms`): an RSVP is checked in before each of those requests, so the figures
kept from the last view can't be used and are computed again. Ends with one line
`RESULT {json}`.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.feeds import database, get, gunicorn  # noqa: E402  (the same server and database)

TARGET_P95_MS = 300
SECRET = "bench"
CHANNELS = ("Slack #general", "Discord", "LinkedIn", "Newsletter")
PAGES = {
    "dashboard": "/g/{slug}/insights?period=all",
    "members": "/g/{slug}/insights/members?sort=came&dir=desc",
}


def _app(url: str):
    from meetup import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})


def _chunks(rows: list[dict], size: int = 5000):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def fill(url: str, members: int, events: int, seed: int = 7) -> dict:
    """Schema by the real migrations, then the group, in bulk inserts. Returns the counts."""
    from flask_migrate import upgrade
    from sqlalchemy import func, insert, select

    from meetup.extensions import db
    from meetup.models import (
        CheckinLog,
        Event,
        Group,
        IntroPair,
        Invite,
        Membership,
        Rsvp,
        User,
        utcnow,
    )
    from meetup.services.tokens import new_event_key

    rand = random.Random(seed)
    app = _app(url)
    with app.app_context():
        upgrade()
        now = utcnow().replace(microsecond=0)
        conn = db.session.connection()
        group_id = conn.execute(
            insert(Group).values(slug="bench", name="Bench group").returning(Group.id)
        ).scalar_one()
        invite_ids = [
            conn.execute(
                insert(Invite)
                .values(group_id=group_id, code=f"bench-{i}", label=label)
                .returning(Invite.id)
            ).scalar_one()
            for i, label in enumerate(CHANNELS)
        ]
        users = [
            {
                "email": f"member{i}@example.org",
                "name": f"Member {i}",
                "session_token": f"bench-session-{i}",
            }
            for i in range(members)
        ]
        for chunk in _chunks(users):
            conn.execute(insert(User), chunk)
        first_user = conn.execute(select(func.min(User.id))).scalar_one()
        user_ids = list(range(first_user, first_user + members))
        memberships = []
        for i, uid in enumerate(user_ids):
            joined = now - timedelta(days=rand.randint(0, 900))
            row = {"group_id": group_id, "user_id": uid, "joined_at": joined, "invite_id": None}
            if i == 0:
                row.update(role="organizer", source="created")
            elif rand.random() < 0.2:
                row.update(role="member", source="import")
            else:
                row.update(role="member", source="invite", invite_id=rand.choice(invite_ids))
            memberships.append(row)
        for chunk in _chunks(memberships):
            conn.execute(insert(Membership), chunk)

        event_rows = []
        past = events * 3 // 4
        for i in range(events):
            start = now + timedelta(days=7 * (i - past) + 1)
            event_rows.append(
                {
                    "key": new_event_key(),
                    "group_id": group_id,
                    "title": f"Meetup #{i}",
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=3),
                    "timezone": "Europe/Paris",
                    "capacity": 100,
                }
            )
        conn.execute(insert(Event), event_rows)
        event_list = conn.execute(
            select(Event.id, Event.starts_at, Event.ends_at).where(Event.group_id == group_id)
        ).all()

        rsvps, logs, pairs = [], [], []
        regulars = user_ids[1 : max(2, members // 5)]  # a fifth of the group ever answers
        for event_id, starts_at, ends_at in event_list:
            ended = ends_at <= now
            people = rand.sample(regulars, min(len(regulars), rand.randint(90, 130)))
            came_ids = []
            for n, uid in enumerate(people):
                row = {
                    "event_id": event_id,
                    "user_id": uid,
                    "requested_at": starts_at - timedelta(days=10, minutes=n),
                    "status": "going" if n < 100 else "waitlisted",
                    "checked_in_at": None,
                    "promoted_at": None,
                    "cancelled_at": None,
                }
                roll = rand.random()
                if n < 100 and roll < 0.08:
                    row["status"] = "not_going"
                    hours = rand.choice((2, 10, 30, 72))
                    row["cancelled_at"] = starts_at - timedelta(hours=hours)
                elif n < 100 and roll < 0.14:
                    row["promoted_at"] = starts_at - timedelta(days=2)
                if ended and row["status"] == "going" and rand.random() < 0.7:
                    row["checked_in_at"] = starts_at + timedelta(minutes=rand.randint(0, 60))
                    came_ids.append(uid)
                rsvps.append(row)
            pairs_here = set()
            while ended and len(came_ids) > 1 and len(pairs_here) < 15:
                a, b = sorted(rand.sample(came_ids, 2))
                pairs_here.add((a, b))
            for a, b in pairs_here:
                yes_a, yes_b = rand.random() < 0.7, rand.random() < 0.6
                pairs.append(
                    {
                        "event_id": event_id,
                        "user_a_id": a,
                        "user_b_id": b,
                        "status": "accepted" if yes_a and yes_b else "declined",
                        "answer_a": "yes" if yes_a else "no",
                        "answer_b": "yes" if yes_b else "no",
                        "met_a": "yes" if yes_a and yes_b and rand.random() < 0.5 else None,
                        "sent_at": ends_at + timedelta(hours=18),
                    }
                )
        for chunk in _chunks(rsvps):
            conn.execute(insert(Rsvp), chunk)
        walk_ins = conn.execute(
            select(Rsvp.id, Rsvp.event_id, Rsvp.checked_in_at).where(
                Rsvp.checked_in_at.is_not(None), Rsvp.id % 20 == 0
            )
        ).all()
        logs = [
            {
                "event_id": event_id,
                "rsvp_id": rsvp_id,
                "nonce": f"walk-in-{rsvp_id}",
                "action": "checkin",
                "method": "walkin",
                "status": "checked_in",
                "actor": "user:1",
                "scanned_at": at,
            }
            for rsvp_id, event_id, at in walk_ins
        ]
        for chunk in _chunks(logs):
            conn.execute(insert(CheckinLog), chunk)
        for chunk in _chunks(pairs):
            conn.execute(insert(IntroPair), chunk)
        db.session.commit()
        db.engine.dispose()
    return {
        "members": members,
        "events": events,
        "rsvps": len(rsvps),
        "checked_in": sum(1 for r in rsvps if r["checked_in_at"]),
        "intro_pairs": len(pairs),
        "organizer_id": user_ids[0],
    }


def count_queries(url: str, organizer_id: int) -> int:
    """SQL statements of one insights page, in-process (BEGIN/SAVEPOINT aside)."""
    from sqlalchemy import event

    from meetup.extensions import db
    from meetup.models import User

    app = _app(url)
    with app.app_context():
        user = db.session.get(User, organizer_id)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        db.session.remove()
        seen: list[str] = []

        def _count(conn, cursor, statement, *args):
            if not statement.startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
                seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", _count)
        try:
            status = client.get(PAGES["dashboard"].format(slug="bench")).status_code
        finally:
            event.remove(db.engine, "before_cursor_execute", _count)
        assert status == 200, status
        db.engine.dispose()
    return len(seen)


def cookie(url: str, organizer_id: int) -> str:
    """The organizer's session cookie, as Flask-Login sets it."""
    from meetup.extensions import db
    from meetup.models import User

    app = _app(url)
    with app.app_context():
        user = db.session.get(User, organizer_id)
        serializer = app.session_interface.get_signing_serializer(app)
        value = serializer.dumps({"_user_id": user.get_id(), "_fresh": True})
        db.engine.dispose()
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def server_timing(headers: dict) -> tuple[float, float] | None:
    """(app ms, cpu ms) from the Server-Timing header the bench endpoints add."""
    found = dict(re.findall(r"(\w+);dur=([\d.]+)", headers.get("Server-Timing", "")))
    return (float(found["app"]), float(found["cpu"])) if "app" in found else None


class Changer:
    """Checks in one more RSVP (of an event that has ended), committed, before a request: a
    change the figures must show."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine

        self.engine = create_engine(url)
        self.n = 0

    def __call__(self) -> None:
        from sqlalchemy import text

        from meetup.models import utcnow

        self.n += 1
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE rsvps SET checked_in_at = :now, updated_at = :now WHERE id = ("
                    " SELECT min(rsvps.id) FROM rsvps JOIN events ON events.id = rsvps.event_id"
                    " WHERE rsvps.status = 'going' AND rsvps.checked_in_at IS NULL"
                    " AND events.ends_at < :now)"
                ),
                {"now": utcnow().replace(tzinfo=None)},
            )
        time.sleep(0.05)  # the change is made, then looked at: not two things at once

    def close(self) -> None:
        self.engine.dispose()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)], 1)


@contextmanager
def filled(postgres: str | None, members: int, events: int):
    with database(postgres) as url:
        yield url, fill(url, members, events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        metavar="ADMIN_URL",
        help="PostgreSQL instead of SQLite: a database is made and dropped there",
    )
    args = parser.parse_args()

    with filled(args.postgres, args.members // 10, max(2, args.events // 10)) as (url, small):
        small_queries = count_queries(url, small["organizer_id"])
    errors = 0
    timings: dict[str, list[float]] = {name: [] for name in PAGES}
    server: dict[str, list[tuple[float, float]]] = {name: [] for name in PAGES}
    changed: dict[str, list[float]] = {name: [] for name in PAGES}
    with filled(args.postgres, args.members, args.events) as (url, counts):
        queries = count_queries(url, counts["organizer_id"])
        headers = {"Cookie": cookie(url, counts["organizer_id"])}
        change = Changer(url)
        with gunicorn(url) as base:
            for name, path in PAGES.items():
                for _ in range(2):  # each worker's first request warms it
                    get(base + path.format(slug="bench"), headers)
                for _ in range(args.requests):
                    status, ms, _, got = get(base + path.format(slug="bench"), headers)
                    errors += status != 200
                    timings[name].append(ms)
                    if (timing := server_timing(got)) is not None:
                        server[name].append(timing)
                for _ in range(max(5, args.requests // 2)):
                    change()
                    status, ms, _, _ = get(base + path.format(slug="bench"), headers)
                    errors += status != 200
                    changed[name].append(ms)
        change.close()

    result = {
        "database": "postgresql" if args.postgres else "sqlite",
        "members": counts["members"],
        "events": counts["events"],
        "rsvps": counts["rsvps"],
        "checked_in": counts["checked_in"],
        "intro_pairs": counts["intro_pairs"],
        "dashboard_p95_ms": p95(timings["dashboard"]),
        "dashboard_median_ms": round(statistics.median(timings["dashboard"]), 1),
        "members_p95_ms": p95(timings["members"]),
        "members_median_ms": round(statistics.median(timings["members"]), 1),
        **{
            f"{name}_{what}_p95_ms": p95([t[i] for t in server[name]]) if server[name] else None
            for name in PAGES
            for i, what in enumerate(("server", "cpu"))
        },
        **{f"{name}_changed_p95_ms": p95(changed[name]) for name in PAGES},
        **{
            f"{name}_changed_median_ms": round(statistics.median(changed[name]), 1)
            for name in PAGES
        },
        "queries": queries,
        "queries_small": small_queries,
        "queries_flat": queries == small_queries,
        "errors": errors,
        "target_p95_ms": TARGET_P95_MS,
    }
    print(f"group                 {result['members']} members, {result['events']} events")
    print(f"rsvps                 {result['rsvps']} ({result['checked_in']} checked in)")
    print(f"introductions         {result['intro_pairs']}")
    for name in PAGES:
        print(
            f"{name:<21} p95 {result[name + '_p95_ms']} ms, median "
            f"{result[name + '_median_ms']} ms   target p95 < {TARGET_P95_MS} ms"
        )
    for name in PAGES:
        print(
            f"{name:<21} in the server p95 {result[name + '_server_p95_ms']} ms (CPU "
            f"{result[name + '_cpu_p95_ms']} ms); right after a change p95 "
            f"{result[name + '_changed_p95_ms']} ms, "
            f"median {result[name + '_changed_median_ms']} ms"
        )
    print(f"queries per page      {queries} (a tenth of the data: {small_queries})")
    print(f"errors                {errors}")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
