"""A burst of RSVPs: 1,000 signed-in members answer "Going" at once to a 100-seat event.

    python bench/rsvp_burst.py                       # SQLite (fresh file in a temp folder)
    python bench/rsvp_burst.py --postgres [ADMIN_URL]
                                                     # PostgreSQL: creates and drops its own DB
                                                     # (default postgres@127.0.0.1:5432; the
                                                     # admin URL alone, as before, works too)

Starts gunicorn (2 sync workers) on 127.0.0.1 with a fresh database, creates the group, the
event and the members with the app's models in this process (on PostgreSQL then VACUUM
ANALYZE, as autovacuum would have done before an event is announced), signs every member in over
HTTP (a sign-in link issued in the database, opened and confirmed like a person would),
fetches each one's CSRF token from the RSVP panel, then fires the RSVPs from a thread pool.
The ceiling is `POST /_bench/insert` (one INSERT + COMMIT) on the same server, same load,
measured just before and just after the burst and averaged: the machine's speed drifts.
It also prints the CPU time each request cost the server (gunicorn and the database,
from /proc) and the load generator, which share the same cores.
Prints figures and ends with one line `RESULT {json}`.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from server_cpu import Meter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-key-not-for-production"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"  # --postgres with no URL
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Answers(urllib.request.HTTPErrorProcessor):
    """A redirect is the answer here (an RSVP's 303), read as a response like the ceiling's
    200: through urllib's error path it cost the load generator, on the server's cores,
    about 0.2 ms more per RSVP than per ceiling request (an exception and its traceback)."""

    def http_response(self, request, response):
        if 300 <= response.status < 400:
            return response
        return super().http_response(request, response)


# ------------------------------------------------------------------ database


class Database:
    """A fresh database for this run, removed at the end."""

    def __init__(self, admin_url: str | None):
        self.admin_url = admin_url
        self.tmp = None
        if admin_url:
            self.name = f"bench_rsvp_{os.getpid()}"
            self.url = admin_url.rsplit("/", 1)[0] + f"/{self.name}"
            self.kind = "postgresql"
        else:
            self.tmp = tempfile.mkdtemp(prefix="bench_rsvp_")
            self.url = f"sqlite:///{self.tmp}/bench.db"
            self.kind = "sqlite"

    def _admin(self, sql: str) -> None:
        import psycopg

        dsn = self.admin_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql)

    def create(self) -> None:
        if self.kind == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')
            self._admin(f'CREATE DATABASE "{self.name}"')

    def settle(self) -> None:
        """Members are imported days before an event is announced, and autovacuum has been
        by since: statistics and visibility map as a real database has them."""
        if self.kind == "postgresql":
            dsn = self.url.replace("postgresql+psycopg://", "postgresql://")
            import psycopg

            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")

    def drop(self) -> None:
        if self.kind == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        elif self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def app_config(db: Database, base: str) -> dict:
    return {
        "SECRET_KEY": SECRET,
        "SQLALCHEMY_DATABASE_URI": db.url,
        "BASE_URL": base,
        "RATELIMIT_ENABLED": False,
        "MAIL_BACKEND": "file",
        "MAIL_FILE_DIR": str(Path(db.tmp or tempfile.gettempdir()) / "bench_mail"),
    }


def prepare(db: Database, base: str, members: int, seats: int) -> tuple[str, list[str]]:
    """Schema by the real migrations, then the group, the event and signed-up members.
    Returns the event key and one sign-in link token per member."""
    from flask_migrate import upgrade

    from meetup import create_app, database
    from meetup.extensions import db as sqla
    from meetup.models import Event, Group, Membership, User, utcnow
    from meetup.services.accounts import magic_links
    from meetup.services.tokens import new_event_key, new_token

    app = create_app(app_config(db, base))
    with app.app_context():
        upgrade()
        database.set_write_intent(True)
        now = utcnow()
        organizer = User(email="organizer@example.org", name="Organizer", session_token=new_token())
        group = Group(slug="bench", name="Bench group")
        sqla.session.add_all([organizer, group])
        sqla.session.flush()
        sqla.session.add(Membership(group_id=group.id, user_id=organizer.id, role="organizer"))
        event = Event(
            key=new_event_key(),
            group_id=group.id,
            title="Burst night",
            starts_at=now + timedelta(days=7),
            ends_at=now + timedelta(days=7, hours=2),
            timezone="Europe/Paris",
            capacity=seats,
            visibility="members",
        )
        users = [
            User(
                email=f"member{i}@example.org",
                name=f"Member {i}",
                session_token=new_token(),
                feed_token=new_token(),
            )
            for i in range(members)
        ]
        sqla.session.add_all([event, *users])
        sqla.session.flush()
        sqla.session.add_all(
            Membership(group_id=group.id, user_id=u.id, role="member") for u in users
        )
        tokens = [magic_links.issue(u.email, now=now) for u in users]
        key = event.key
        sqla.session.commit()
        sqla.engine.dispose()
    return key, tokens


def outcome(db: Database, base: str, key: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from meetup import create_app
    from meetup.extensions import db as sqla
    from meetup.models import Event, Rsvp

    app = create_app(app_config(db, base))
    with app.app_context():
        rows = sqla.session.execute(
            select(Rsvp.status, func.count(Rsvp.id))
            .join(Event, Event.id == Rsvp.event_id)
            .where(Event.key == key)
            .group_by(Rsvp.status)
        ).all()
        sqla.engine.dispose()
    return dict(rows)


# ------------------------------------------------------------------ server


def start_server(db: Database, port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "MEETUP_SECRET_KEY": SECRET,
        "MEETUP_SQLALCHEMY_DATABASE_URI": db.url,
        "MEETUP_BASE_URL": f"http://127.0.0.1:{port}",
        "MEETUP_BENCH_ENDPOINTS": "true",
        "MEETUP_RATELIMIT_ENABLED": "false",
        "MEETUP_MAIL_BACKEND": "file",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "app:app",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# ------------------------------------------------------------------ clients


class Member:
    """One browser: its own cookies."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), Answers
        )
        self.csrf = ""

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body)
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(errors="replace")

    def sign_in(self, token: str, key: str) -> None:
        status, page = self.request(f"/login/link/{token}")
        assert status == 200, f"sign-in page: {status}"
        status, _ = self.request(
            f"/login/link/{token}", {"csrf_token": CSRF_RE.search(page).group(1)}
        )
        assert status in (302, 303), f"sign-in: {status}"
        status, page = self.request(f"/e/{key}/rsvp")
        assert status == 200 and "Going" in page, f"RSVP panel: {status}"
        self.csrf = CSRF_RE.search(page).group(1)


def timed(fn) -> tuple[float, bool]:
    start = time.perf_counter()
    try:
        ok = fn()
    except Exception:
        ok = False
    return time.perf_counter() - start, ok


def burst(jobs, threads: int, server_pid: int) -> dict:
    start = time.perf_counter()
    with Meter(server_pid) as cpu, ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(timed, jobs))
    wall = time.perf_counter() - start
    latencies = sorted(r[0] for r in results)
    return {
        **cpu.per_request(len(results)),
        "n": len(results),
        "errors": sum(1 for r in results if not r[1]),
        "rps": len(results) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "wall_s": wall,
    }


def average(a: dict, b: dict) -> dict:
    """Two runs of the same load: mean rate and latencies, summed counts."""
    return {
        "n": a["n"] + b["n"],
        "errors": a["errors"] + b["errors"],
        "rps": (a["rps"] + b["rps"]) / 2,
        "p50_ms": (a["p50_ms"] + b["p50_ms"]) / 2,
        "p99_ms": (a["p99_ms"] + b["p99_ms"]) / 2,
        "server_cpu_ms": (a["server_cpu_ms"] + b["server_cpu_ms"]) / 2,
        "client_cpu_ms": (a["client_cpu_ms"] + b["client_cpu_ms"]) / 2,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url", nargs="?", help="PostgreSQL admin URL (default SQLite)")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=PG,
        metavar="ADMIN_URL",
        help=f"the same, as the other benches take it (default {PG})",
    )
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--seats", type=int, default=100)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    db = Database(args.postgres or args.database_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = None
    try:
        db.create()
        t0 = time.perf_counter()
        key, tokens = prepare(db, base, args.members, args.seats)
        db.settle()
        proc = start_server(db, port, args.workers)
        members = [Member(base) for _ in tokens]
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(lambda mt: mt[0].sign_in(mt[1], key), zip(members, tokens, strict=True)))
        print(
            f"prepared {args.members} signed-in members and a {args.seats}-seat event "
            f"in {time.perf_counter() - t0:.1f}s ({db.kind})"
        )

        def rsvp(member: Member):
            status, _ = member.request(
                f"/e/{key}/rsvp", {"answer": "going", "csrf_token": member.csrf}
            )
            return status == 303

        def ceiling(member: Member):
            status, _ = member.request("/_bench/insert", {})
            return status == 200

        before = burst([lambda m=m: ceiling(m) for m in members], args.threads, proc.pid)
        ours = burst([lambda m=m: rsvp(m) for m in members], args.threads, proc.pid)
        after = burst([lambda m=m: ceiling(m) for m in members], args.threads, proc.pid)
        ceil = {
            **average(before, after),
            "before_rps": before["rps"],
            "after_rps": after["rps"],
        }
        counts = outcome(db, base, key)
    finally:
        if proc is not None:
            stop_server(proc)
        db.drop()

    ratio = ours["rps"] / ceil["rps"]
    print(f"{'':14}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for name, r in (("RSVP", ours), ("ceiling", ceil)):
        print(
            f"{name:14}{r['n']:>9}{r['errors']:>8}{r['rps']:>9.0f}"
            f"{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
        )
    going, waitlisted = counts.get("going", 0), counts.get("waitlisted", 0)
    print(f"ceiling before {ceil['before_rps']:.0f} req/s, after {ceil['after_rps']:.0f} req/s")
    print(f"going {going} (seats {args.seats}), waitlisted {waitlisted}, ratio {ratio:.2f}")
    cpu_ratio = ceil["server_cpu_ms"] / ours["server_cpu_ms"]
    print(
        f"CPU per request: server (app + database) RSVP {ours['server_cpu_ms']:.2f} ms, "
        f"ceiling {ceil['server_cpu_ms']:.2f} ms (ratio {cpu_ratio:.2f}); load generator "
        f"{ours['client_cpu_ms']:.2f} and {ceil['client_cpu_ms']:.2f} ms, on the same cores"
    )
    result = {
        "database": db.kind,
        "members": args.members,
        "seats": args.seats,
        "threads": args.threads,
        "going": going,
        "waitlisted": waitlisted,
        "errors": ours["errors"],
        "rps": round(ours["rps"], 1),
        "p50_ms": round(ours["p50_ms"], 2),
        "p99_ms": round(ours["p99_ms"], 2),
        "ceiling_rps": round(ceil["rps"], 1),
        "ceiling_errors": ceil["errors"],
        "ceiling_p50_ms": round(ceil["p50_ms"], 2),
        "ceiling_p99_ms": round(ceil["p99_ms"], 2),
        "ratio": round(ratio, 3),
        "server_cpu_ms": round(ours["server_cpu_ms"], 2),
        "ceiling_server_cpu_ms": round(ceil["server_cpu_ms"], 2),
        "server_cpu_ratio": round(cpu_ratio, 3),
        "client_cpu_ms": round(ours["client_cpu_ms"], 2),
        "ceiling_client_cpu_ms": round(ceil["client_cpu_ms"], 2),
    }
    print("RESULT " + json.dumps(result))
    ok = going == args.seats and ours["errors"] == 0 and ratio >= 0.5
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
