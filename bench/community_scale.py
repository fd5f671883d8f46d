"""A community at scale: import 50,000 members from a Slack export, announce an event to all of
them, deliver the emails through the worker, and list the members page by page.

    python bench/community_scale.py                    # SQLite (a fresh file in a temp folder)
    python bench/community_scale.py --postgres [ADMIN_URL]
                                                       # PostgreSQL: creates and drops its own DB
    python bench/community_scale.py --members 5000     # a smaller run

Steps, each timed:
1. import: a Slack-style CSV of --members rows goes through the import pages (upload, preview,
   import in one POST, as without JavaScript), which also queue one welcome per person.
   Peak memory is the process's resident peak (ru_maxrss) at the end of the import: an upper
   bound, since it includes the app itself.
2. announce: the organizer's tap (POST /e/<key>/announce) returns at once; one worker process
   (`flask --app app worker`) queues the emails in chunks and delivers them to an aiosmtpd
   sink on 127.0.0.1 run by this script. While they are queued, members keep RSVPing to
   another event (one answer every ~20 ms) and the slowest answer is reported: the
   queueing must not hold a lock that blocks them. The welcomes are held back for the run
   (next attempt tomorrow) so the worker delivers the announcement alone.
3. delivery: messages/s from the sink's side (first to last message received), duplicates
   (a Message-ID or recipient seen twice) and lost (recorded as sent but never received, or
   failed); messages still queued when --timeout runs out are counted apart. The worker's
   CPU time per message is reported too (with the load average): the rate it would reach on
   a core of its own, when other work shares the machine.
4. member pages: 200 pages of the member list (organizer's view, and a member's), p95.

Prints figures with their targets, then `RESULT {json}` as its last line. Everything started
here (the worker, the sink, the database) is stopped or removed, also on error.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import psycopg
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from meetup import create_app  # noqa: E402
from meetup.extensions import db  # noqa: E402
from meetup.models import (  # noqa: E402
    Announcement,
    Event,
    Group,
    Membership,
    OutboxMessage,
    User,
    utcnow,
)
from meetup.services.events import answers  # noqa: E402
from meetup.services.tokens import new_event_key, new_token  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGETS = {
    "import_s": 60,
    "import_peak_mb": 400,
    "announce_queue_s": 10,
    "delivered_per_s": 300,
    "member_page_p95_ms": 150,
}
SECRET = "bench-secret-key-not-for-production"


ANNOUNCEMENT_SUBJECT = b"subject: rust paris: rust night"


class Sink:
    """Counts the announcement's Message-IDs and recipients, and when each arrived; other
    messages (the warm-up, RSVP confirmations) are only counted in `others`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: Counter[str] = Counter()
        self.rcpts: Counter[str] = Counter()
        self.times: list[float] = []
        self.others = 0

    async def handle_DATA(self, server, session, envelope):
        now = time.perf_counter()
        message_id, announcement = "", False
        for line in envelope.content.split(b"\r\n", 60):
            lower = line.lower()
            if lower.startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
            elif lower.startswith(ANNOUNCEMENT_SUBJECT):
                announcement = True
        with self.lock:
            if not announcement:
                self.others += 1
                return "250 OK"
            self.ids[message_id] += 1
            for rcpt in envelope.rcpt_tos:
                self.rcpts[rcpt] += 1
            self.times.append(now)
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.times)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def slack_csv(n: int) -> bytes:
    out = io.StringIO()
    out.write(
        "username,email,status,billing-active,has-2fa,has-sso,userid,fullname,displayname,"
        "expiration-timestamp\n"
    )
    for i in range(n):
        out.write(f"m{i},Member{i:06}@Example.org,Member,1,0,0,U{i:08},Member {i},m{i},\n")
    return out.getvalue().encode()


class Database:
    def __init__(self, admin_url: str | None, tmp: Path):
        self.admin = admin_url
        if admin_url:
            self.name = f"bench_community_{os.getpid()}"
            base = admin_url.rsplit("/", 1)[0]
            self.url = f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{self.name}"
            self._admin(f"CREATE DATABASE {self.name}")
        else:
            self.url = f"sqlite:///{tmp / 'community.db'}"

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(sql)

    def drop(self) -> None:
        if self.admin:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def sign_in(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def step_import(app, n: int) -> dict:
    data = slack_csv(n)
    with app.app_context():
        olga = User(email="olga@example.org", name="Olga", session_token=new_token())
        group = Group(slug="rust-paris", name="Rust Paris", platform="slack")
        db.session.add_all([olga, group])
        db.session.flush()
        db.session.add(Membership(group_id=group.id, user_id=olga.id, role="organizer"))
        db.session.commit()
        olga_id = olga.id
    client = app.test_client()
    with app.app_context():
        sign_in(client, db.session.get(User, olga_id))
    start = time.perf_counter()
    upload = client.post(
        "/g/rust-paris/import", data={"file": (io.BytesIO(data), "slack-members.csv")}
    )
    assert upload.status_code == 302, upload.status_code
    preview = client.get(upload.headers["Location"])
    assert preview.status_code == 200
    form = {"email": "1", "name": "7", "status": "2", "announcements": "yes"}
    done = client.post(upload.headers["Location"], data=form)
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with app.app_context():
        members = db.session.scalar(select(func.count()).select_from(Membership))
        welcomes = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.list_kind == "welcome")
        )
    return {
        "client": client,
        "olga_id": olga_id,
        "import_s": seconds,
        "import_peak_mb": peak_mb,
        "members": members,
        "welcomes": welcomes,
    }


def make_events(app) -> tuple[str, int]:
    with app.app_context():
        group = db.session.scalar(select(Group))
        start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
        events = [
            Event(
                key=new_event_key(),
                group_id=group.id,
                title=title,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                timezone="Europe/Paris",
                venue_name="The Loft",
                venue_address="1 Rue de Rivoli, Paris",
                capacity=capacity,
            )
            for title, capacity in (("Rust night", 120), ("Side event", None))
        ]
        db.session.add_all(events)
        # The welcomes wait until tomorrow: the worker delivers the announcement alone.
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.list_kind == "welcome")
            .values(next_attempt_at=utcnow() + timedelta(days=1))
        )
        db.session.commit()
        return events[0].key, events[1].id


def rsvps_meanwhile(app, event_id: int, stop: threading.Event, out: list[float]) -> None:
    """Members answer another event while the announcement is queued: each answer's time."""
    with app.app_context():
        ids = db.session.scalars(select(Membership.user_id).limit(2000)).all()
        event = db.session.get(Event, event_id)
        i = 0
        while not stop.is_set() and i < len(ids):
            t0 = time.perf_counter()  # from its first read: waiting for a lock counts
            user = db.session.get(User, ids[i])
            answers.answer(event, user, True, member=True)
            db.session.commit()
            out.append(time.perf_counter() - t0)
            i += 1
            stop.wait(0.02)
        db.session.remove()


def start_worker(url: str, smtp_port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "MEETUP_SQLALCHEMY_DATABASE_URI": url,
        "MEETUP_SECRET_KEY": SECRET,
        "MEETUP_MAIL_SERVER": "127.0.0.1",
        "MEETUP_MAIL_PORT": str(smtp_port),
        "MEETUP_MAIL_BACKEND": "smtp",
        "MEETUP_WORKER_POLL_SECONDS": "0.2",
        "MEETUP_BASE_URL": "https://meetup.example.org",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def step_announce(app, state: dict, url: str, sink: Sink, port: int, tmp: Path, timeout: float):
    key, side_event_id = make_events(app)
    client = state["client"]
    with app.app_context():  # a first message: once it arrives, the worker is up and idle
        from meetup.services.mail.messages import new_message_id

        warm_up = OutboxMessage(
            message_id=new_message_id(),
            to_addr="warm-up@example.org",
            subject="Warm-up",
            body_text="Warm-up",
            body_html="<p>Warm-up</p>",
        )
        db.session.add(warm_up)
        db.session.commit()
    children_cpu = _children_cpu()
    worker = start_worker(url, port, tmp / "worker.log")
    waits: list[float] = []
    stop = threading.Event()
    try:
        deadline = time.perf_counter() + 120
        while sink.others == 0 and time.perf_counter() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        tap_start = time.perf_counter()
        tap = client.post(f"/e/{key}/announce", data={"kind": "event"})
        tap_s = time.perf_counter() - tap_start
        assert tap.status_code == 303, tap.status_code
        rsvps = threading.Thread(target=rsvps_meanwhile, args=(app, side_event_id, stop, waits))
        rsvps.start()
        progress = []
        with app.app_context():
            while time.perf_counter() - tap_start < timeout:
                db.session.rollback()
                row = db.session.scalar(select(Announcement))
                progress.append((round(time.perf_counter() - tap_start, 1), row.queued))
                if row.status == "done":
                    break
                time.sleep(0.05)
            queue_s = time.perf_counter() - tap_start
            expected = row.queued
        stop.set()
        rsvps.join()
        deadline = time.perf_counter() + timeout
        last, still = -1, 0
        while time.perf_counter() < deadline:
            got = sink.count()
            if got >= expected:
                break
            still = still + 1 if got == last else 0
            if still > 100:  # nothing new for 20 s: the rest is lost
                break
            last = got
            time.sleep(0.2)
    finally:
        stop.set()
        stop_worker(worker)
    worker_cpu_s = _children_cpu() - children_cpu  # the worker's, once it was waited for
    with app.app_context():  # what the database says happened to each announcement email
        db.session.rollback()
        rows = db.session.execute(
            select(OutboxMessage.message_id, OutboxMessage.status).where(
                OutboxMessage.list_kind == "announcements"
            )
        ).all()
    sent = {mid for mid, status in rows if status == "sent"}
    failed = sum(1 for _mid, status in rows if status == "failed")
    pending = sum(1 for _mid, status in rows if status in ("queued", "sending"))
    times = sorted(sink.times)
    measured = len(times)
    rate = (measured - 1) / (times[-1] - times[0]) if measured > 1 else 0.0
    duplicates = sum(c - 1 for c in sink.ids.values() if c > 1) + sum(
        c - 1 for c in sink.rcpts.values() if c > 1
    )
    shown = progress[:: max(1, len(progress) // 5)]
    return {
        "tap_ms": tap_s * 1000,
        "announce_queue_s": queue_s,
        "queue_progress": shown,
        "expected": expected,
        "delivered": len(sink.ids),
        "delivered_per_s": rate,
        "measured_over": measured,
        "duplicates": duplicates,
        # Lost: recorded as sent but never received, or given up on. Still queued when the
        # run's time was up is reported apart (delivery goes on after the bench).
        "lost": len(sent - set(sink.ids)) + failed,
        "pending_at_timeout": pending,
        "rsvps_meanwhile": len(waits),
        "rsvp_max_ms_while_queueing": max(waits) * 1000 if waits else 0.0,
        # CPU the worker used (queueing, writing, sending) per message delivered: what its
        # rate would be on a core of its own, whatever else the machine is doing.
        "worker_cpu_s": worker_cpu_s,
        "worker_cpu_ms_per_message": worker_cpu_s * 1000 / max(1, len(sink.ids)),
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def step_member_pages(app, state: dict, pages: int = 200) -> dict:
    client = state["client"]
    with app.app_context():
        member = db.session.scalar(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.role == "member")
        )
        member_client = app.test_client()
        sign_in(member_client, member)
        total = db.session.scalar(select(func.count()).select_from(Membership))
    last_page = max(1, -(-total // 50))
    timings = []
    rng = random.Random(7)
    for i in range(pages):
        who = client if i % 2 == 0 else member_client
        page = 1 if i % 2 else rng.randint(1, last_page)  # a member sees those who joined
        t0 = time.perf_counter()
        resp = who.get(f"/g/rust-paris/members?page={page}")
        timings.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, (page, resp.status_code)
    timings.sort()
    return {
        "member_page_p50_ms": timings[len(timings) // 2],
        "member_page_p95_ms": timings[int(len(timings) * 0.95) - 1],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN, help="PostgreSQL admin URL")
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="community_scale_"))
    database = Database(args.postgres, tmp)
    sink = Sink()
    port = free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database.url,
                "SECRET_KEY": SECRET,
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
                "BASE_URL": "https://meetup.example.org",
                "IMPORT_DIR": str(tmp / "imports"),
            }
        )
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
        db_name = "postgresql" if args.postgres else "sqlite"
        print(f"community_scale: {args.members:,} members on {db_name}", flush=True)
        state = step_import(app, args.members)
        print(
            f"import: {state['members']:,} members in {state['import_s']:.1f} s "
            f"(target < {TARGETS['import_s']} s), peak {state['import_peak_mb']:.0f} MB "
            f"(target < {TARGETS['import_peak_mb']} MB); {state['welcomes']:,} welcomes queued",
            flush=True,
        )
        announced = step_announce(app, state, database.url, sink, port, tmp, args.timeout)
        print(
            f"announce: tap answered in {announced['tap_ms']:.0f} ms; "
            f"{announced['expected']:,} queued in {announced['announce_queue_s']:.1f} s "
            f"(target < {TARGETS['announce_queue_s']} s), progress {announced['queue_progress']}",
            flush=True,
        )
        print(
            f"  {announced['rsvps_meanwhile']} RSVPs meanwhile, slowest "
            f"{announced['rsvp_max_ms_while_queueing']:.0f} ms"
        )
        print(
            f"delivery (1 worker): {announced['delivered']:,} delivered, "
            f"{announced['delivered_per_s']:.0f} msgs/s over {announced['measured_over']:,} "
            f"(target >= {TARGETS['delivered_per_s']}), duplicates {announced['duplicates']}, "
            f"lost {announced['lost']} (target 0 and 0); "
            f"{announced['pending_at_timeout']:,} still queued when the time was up"
        )
        print(
            f"  worker CPU {announced['worker_cpu_s']:.1f} s, "
            f"{announced['worker_cpu_ms_per_message']:.2f} ms per message delivered; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
            flush=True,
        )
        pages = step_member_pages(app, state)
        print(
            f"member pages: p50 {pages['member_page_p50_ms']:.0f} ms, "
            f"p95 {pages['member_page_p95_ms']:.0f} ms "
            f"(target < {TARGETS['member_page_p95_ms']} ms)"
        )
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        result = {
            "database": db_name,
            "members": state["members"],
            "import_s": round(state["import_s"], 2),
            "import_peak_mb": round(state["import_peak_mb"], 1),
            "welcomes_queued": state["welcomes"],
            "announce_tap_ms": round(announced["tap_ms"], 1),
            "announce_queue_s": round(announced["announce_queue_s"], 2),
            "rsvp_max_ms_while_queueing": round(announced["rsvp_max_ms_while_queueing"], 1),
            "delivered": announced["delivered"],
            "delivered_per_s": round(announced["delivered_per_s"], 1),
            "measured_over": announced["measured_over"],
            "duplicates": announced["duplicates"],
            "lost": announced["lost"],
            "pending_at_timeout": announced["pending_at_timeout"],
            "worker_cpu_ms_per_message": round(announced["worker_cpu_ms_per_message"], 3),
            "load_average": round(os.getloadavg()[0], 1),
            "member_page_p50_ms": round(pages["member_page_p50_ms"], 1),
            "member_page_p95_ms": round(pages["member_page_p95_ms"], 1),
            "targets": TARGETS,
        }
        print("RESULT " + json.dumps(result))
        return 0
    finally:
        smtp.stop()
        database.drop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
