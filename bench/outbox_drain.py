"""Drain 5,000 queued emails into a local SMTP sink; messages/s and a delivered-once check.

Configurations: 1 and 3 worker processes on PostgreSQL (a database of its own, created and
dropped), then 1 worker on SQLite (a fresh file). Each worker is the real command,
`flask --app app worker --once`, delivering over SMTP to an aiosmtpd sink on 127.0.0.1 run
by this script. The ceiling is the same sink fed by one plain smtplib client with pre-built
messages and no database: what SMTP alone allows on this machine.

    python bench/outbox_drain.py [--messages 5000] [--timeout 600] [--notices]

--notices queues RSVP notices instead of written messages: the rows a burst of RSVPs leaves
(half the people get a seat and a calendar invite, half the waitlist), which the worker
writes (templates, invite) before sending.

Prints a table, then one `RESULT {json}` line per configuration; the last is 1 worker on
SQLite. Everything started here (workers, the sink, the databases) is stopped or removed,
also on error.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
from aiosmtpd.controller import Controller
from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from meetup import create_app  # noqa: E402
from meetup.extensions import db  # noqa: E402
from meetup.models import OutboxMessage, utcnow  # noqa: E402
from meetup.services.mail.messages import new_message_id  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_ONE_WORKER = 200.0  # messages/s


class Sink:
    """Counts Message-IDs and the time of each delivery."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.ids: Counter[str] = Counter()
            self.first: float | None = None
            self.last: float | None = None

    async def handle_DATA(self, server, session, envelope):
        now = time.perf_counter()
        message_id = ""
        for line in envelope.content.split(b"\r\n", 40):
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
                break
        with self.lock:
            self.ids[message_id] += 1
            self.first = self.first or now
            self.last = now
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def queue_notices(n: int) -> None:
    """n people RSVP through the service to an event with n/2 seats: n notices."""
    from datetime import timedelta

    from meetup.models import Event, Group, User
    from meetup.services.events import answers
    from meetup.services.tokens import new_event_key, new_token

    now = utcnow()
    group = Group(slug="bench", name="Bench group")
    db.session.add(group)
    db.session.flush()
    start = now + timedelta(days=7)
    event = Event(
        key=new_event_key(),
        group_id=group.id,
        title="Bench night",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        timezone="Europe/Paris",
        venue_name="The Loft",
        venue_address="1 Rue de Rivoli, Paris",
        capacity=n // 2,
    )
    people = [
        User(email=f"person{i}@example.org", name=f"Person {i}", session_token=new_token())
        for i in range(n)
    ]
    db.session.add_all([event, *people])
    db.session.commit()
    for i, person in enumerate(people, 1):
        answers.answer(event, person, True, member=True)
        if i % 500 == 0:
            db.session.commit()
    db.session.commit()


def queue(url: str, n: int, notices: bool = False) -> None:
    """A fresh schema (the real migrations) and n queued messages (or RSVP notices)."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        if notices:
            queue_notices(n)
            db.engine.dispose()
            return
        now = utcnow()
        text = "Hello,\n\nYour sign-in link: http://127.0.0.1:5000/login/link/abc\n" * 3
        html = f"<p>{text}</p>"
        rows = [
            {
                "message_id": new_message_id(),
                "to_addr": f"person{i}@example.org",
                "to_name": f"Person {i}",
                "subject": f"Bench message {i}",
                "body_text": text,
                "body_html": html,
                "status": "queued",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for i in range(n)
        ]
        for i in range(0, n, 1000):
            db.session.execute(insert(OutboxMessage), rows[i : i + 1000])
        db.session.commit()
        db.engine.dispose()


def sent_count(url: str) -> int:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        n = db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
        )
        db.engine.dispose()
        return n


def drain(
    url: str, workers: int, port: int, sink: Sink, n: int, timeout: float, notices: bool
) -> dict:
    sink.reset()
    env = {
        **os.environ,
        "MEETUP_SQLALCHEMY_DATABASE_URI": url,
        "MEETUP_SECRET_KEY": "bench",
        "MEETUP_MAIL_SERVER": "127.0.0.1",
        "MEETUP_MAIL_PORT": str(port),
    }
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker", "--once"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(workers)
    ]
    try:
        for p in procs:
            p.wait(timeout=max(1.0, timeout - (time.perf_counter() - start)))
    except subprocess.TimeoutExpired:
        print(f"  timed out after {timeout:.0f}s", file=sys.stderr)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
            p.wait()
            err = p.stderr.read().decode() if p.stderr else ""
            if p.returncode != 0:
                print(f"  worker exited {p.returncode}: {err[-2000:]}", file=sys.stderr)
    wall = time.perf_counter() - start
    with sink.lock:
        ids, first, last = Counter(sink.ids), sink.first, sink.last
    busy = (last - first) if first and last and last > first else wall
    delivered_once = len(ids) == n and max(ids.values(), default=0) == 1 and sent_count(url) == n
    return {
        "messages": n,
        "workers": workers,
        "database": url.split(":", 1)[0].split("+")[0],
        "messages_per_s": round(sum(ids.values()) / busy, 1),
        "seconds": round(busy, 2),
        "wall_seconds_with_startup": round(wall, 2),
        "received": sum(ids.values()),
        "kind": "notices" if notices else "written",
        "delivered_once": delivered_once,
    }


def ceiling(port: int, n: int) -> float:
    """One smtplib client, one connection, pre-built messages, no database (a subprocess,
    so it doesn't share this process's interpreter lock with the sink)."""
    code = f"""
import smtplib, time
from email.message import EmailMessage
msgs = []
for i in range({n}):
    m = EmailMessage(); m["From"] = "b@x"; m["To"] = "p@example.org"; m["Subject"] = "c"
    m["Message-ID"] = f"<ceiling{{i}}@x>"; m.set_content("hello" * 40); msgs.append(m)
with smtplib.SMTP("127.0.0.1", {port}) as s:
    t = time.perf_counter()
    for m in msgs:
        s.send_message(m)
    print({n} / (time.perf_counter() - t))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--timeout", type=float, default=600, help="per configuration")
    parser.add_argument("--notices", action="store_true", help="RSVP notices, written on send")
    args = parser.parse_args()
    n = args.messages

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    tmp = Path(tempfile.mkdtemp(prefix="bench_outbox_"))
    results = []
    try:
        for workers in (1, 3):
            pg_name = f"bench_outbox_{os.getpid()}_{workers}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{pg_name}"')
            try:
                pg_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_name}"
                queue(pg_url, n, args.notices)
                results.append(measure(pg_url, workers, port, sink, n, args.timeout, args.notices))
            finally:
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        sqlite_url = f"sqlite:///{tmp / 'bench.db'}"
        queue(sqlite_url, n, args.notices)
        results.append(measure(sqlite_url, 1, port, sink, n, args.timeout, args.notices))
    finally:
        controller.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(
        f"{'database':<11}{'workers':>8}{'messages':>10}{'msg/s':>9}{'s':>9}{'wall s':>9}"
        f"{'ceiling/s':>11}{'load':>6}  once"
    )
    for r in results:
        print(
            f"{r['database']:<11}{r['workers']:>8}{r['messages']:>10}{r['messages_per_s']:>9}"
            f"{r['seconds']:>9}{r['wall_seconds_with_startup']:>9}"
            f"{r['ceiling_smtp_only_per_s']:>11}{r['load_average']:>6}  {r['delivered_once']}"
        )
    print(
        "ceiling: one smtplib client sending pre-built messages to the same sink, no database,"
        f" measured just before each run; target for one worker: >= {TARGET_ONE_WORKER:.0f} msg/s"
        f" ({os.cpu_count()} cores; load = 1-minute load average at the end of the run)"
    )
    print()
    for r in results:
        print("RESULT " + json.dumps(r))


def measure(
    url: str, workers: int, port: int, sink: Sink, n: int, timeout: float, notices: bool
) -> dict:
    smtp_only = ceiling(port, 2000)
    result = drain(url, workers, port, sink, n, timeout, notices)
    result["ceiling_smtp_only_per_s"] = round(smtp_only, 1)
    result["load_average"] = round(os.getloadavg()[0], 1)
    print(f"  {result}", file=sys.stderr, flush=True)
    return result


if __name__ == "__main__":
    main()
