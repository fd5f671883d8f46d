"""Calendar feed of a group with 1,000 events, over HTTP from gunicorn.

    python bench/feeds.py [--events 1000] [--requests 30] [--postgres [ADMIN_URL]]

Starts gunicorn -w 2 on 127.0.0.1 against a fresh database (SQLite in a temporary folder, or
a database bench_feeds_<pid> created and dropped on the given PostgreSQL server), fills it,
then measures:
- cold: the first feed of each worker, which serialises every VEVENT;
- feed_ms: the feed after one of its events changed (a new ETag, so the feed is rebuilt from
  the VEVENTs each worker keeps, plus the changed one): what a poll costs after an edit;
- repeat_ms: the same unchanged feed again without validators (whole feed kept per ETag);
- a conditional GET with the ETag (304), and GET /_bench/ok as the ceiling.
Ends with one line `RESULT {json}`.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 150


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def database(postgres: str | None):
    if not postgres:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    from sqlalchemy import create_engine, text

    name = f"bench_feeds_{os.getpid()}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fill(url: str, n: int) -> str:
    """Schema by the real migrations, then one group with n events (a third in the past)."""
    from flask_migrate import upgrade

    from meetup import create_app
    from meetup.extensions import db
    from meetup.models import Event, Group, utcnow
    from meetup.services.tokens import new_event_key

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        group = Group(slug="bench", name="Bench group")
        db.session.add(group)
        db.session.flush()
        now = utcnow().replace(microsecond=0)
        zones = ["Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
        first = now - timedelta(days=150)
        for i in range(n):
            start = first + timedelta(hours=13 * i)
            db.session.add(
                Event(
                    key=new_event_key(),
                    group_id=group.id,
                    title=f"Meetup #{i}",
                    description="Talks, then drinks.\n\nBring a friend.",
                    starts_at=start,
                    ends_at=start + timedelta(hours=2),
                    timezone=zones[i % len(zones)],
                    venue_name="The Loft",
                    venue_address="1 Rue de Rivoli, Paris",
                    created_at=now,
                    updated_at=now,
                )
            )
        db.session.commit()
        db.engine.dispose()
    return "bench"


def touch(db_url: str, i: int) -> None:
    """An organizer edits one event: its row changes, and so does the feed's ETag."""
    from sqlalchemy import create_engine, text

    from meetup.models import utcnow

    engine = create_engine(db_url)
    with engine.begin() as conn:  # as services.events.editing.update_event: updated_at = now
        conn.execute(
            text(
                "UPDATE events SET title = :title, updated_at = :now "
                "WHERE id = (SELECT min(id) FROM events) + :i"
            ),
            {"title": f"Edited {i}", "now": utcnow().replace(tzinfo=None), "i": i % 100},
        )
    engine.dispose()


def get(url: str, headers: dict | None = None) -> tuple[int, float, bytes, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            body = resp.read()
            status, got = resp.status, dict(resp.headers)
    except urllib.error.HTTPError as err:
        body, status, got = err.read(), err.code, dict(err.headers)
    return status, (time.perf_counter() - started) * 1000, body, got


@contextmanager
def gunicorn(db_url: str):
    port = free_port()
    env = {
        **os.environ,
        "MEETUP_SQLALCHEMY_DATABASE_URI": db_url,
        "MEETUP_SECRET_KEY": "bench",
        "MEETUP_BENCH_ENDPOINTS": "true",
        "MEETUP_RATELIMIT_ENABLED": "false",
        "MEETUP_BASE_URL": f"http://127.0.0.1:{port}",
    }
    cmd = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:app"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a busy machine boots workers slowly
        while True:
            try:
                if get(base + "/_bench/ok")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        metavar="ADMIN_URL",
        help="PostgreSQL instead of SQLite: a database is made and dropped there",
    )
    args = parser.parse_args()

    with database(args.postgres) as db_url:
        slug = fill(db_url, args.events)
        with gunicorn(db_url) as base:
            feed_url = f"{base}/g/{slug}/calendar.ics"
            cold = [get(feed_url) for _ in range(2)]  # two workers: each builds once
            for _ in range(4):  # and both workers have seen every event
                get(feed_url)
            status, _, body, headers = cold[-1]
            assert status == 200, status
            count = body.count(b"BEGIN:VEVENT")
            warm = []
            for i in range(args.requests):
                touch(db_url, i)
                status, ms, _, _ = get(feed_url)
                assert status == 200
                warm.append(ms)
            repeat = [get(feed_url)[1] for _ in range(args.requests)]
            headers = get(feed_url)[3]
            conditional = [
                get(feed_url, {"If-None-Match": headers["ETag"]}) for _ in range(args.requests)
            ]
            ceiling = [get(base + "/_bench/ok")[1] for _ in range(args.requests)]

    feed_ms = statistics.median(warm)
    result = {
        "database": "postgresql" if args.postgres else "sqlite",
        "events": count,
        "feed_bytes": len(body),
        "feed_cold_ms": round(max(ms for _, ms, _, _ in cold), 1),
        "feed_ms": round(feed_ms, 1),
        "feed_p90_ms": round(sorted(warm)[int(len(warm) * 0.9) - 1], 1),
        "repeat_ms": round(statistics.median(repeat), 1),
        "not_modified_status": conditional[-1][0],
        "not_modified_ms": round(statistics.median(ms for _, ms, _, _ in conditional), 1),
        "ceiling_ok_ms": round(statistics.median(ceiling), 1),
        "target_ms": TARGET_MS,
    }
    print(f"events in feed        {count} ({len(body) / 1024:.0f} KiB)")
    print(f"feed, cold (1st/wkr)  {result['feed_cold_ms']} ms")
    print(f"feed after an edit    {result['feed_ms']} ms (median)   target < {TARGET_MS} ms")
    print(f"feed after an edit    {result['feed_p90_ms']} ms (p90)")
    print(f"same feed again       {result['repeat_ms']} ms (median)")
    print(
        f"If-None-Match         {result['not_modified_status']} "
        f"in {result['not_modified_ms']} ms (median)"
    )
    print(f"ceiling /_bench/ok    {result['ceiling_ok_ms']} ms (median)")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
