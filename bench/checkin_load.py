"""Door check-in under load: 500 tickets, 32 scanners over HTTP against gunicorn -w 2.

Starts its own gunicorn on 127.0.0.1 with a fresh database (SQLite file, or a PostgreSQL
database it creates and drops with --postgres), seeds an event with 500 going RSVPs and a
volunteer door link (on PostgreSQL then VACUUM ANALYZE, as autovacuum would have done before
the door opens), and lets 32 scanner threads, each signed in through the door link like a
volunteer's phone (own session, CSRF header from the door page), scan every ticket twice
(first a check-in, then an "already checked in" from another scanner). The ceiling is
POST /_bench/insert (one INSERT + COMMIT) on the same server, driven the same way, measured
before and after. Both are measured warm: first the ceiling endpoint, then 64 other tickets
scanned twice (each worker's first scans build and prepare their statements, which made the
first scans of a run its slowest). Everything started is stopped, also on error.

With --open-rate F the scans are not a closed loop (each scanner waiting for its answer
before the next scan, which bounds p99 by scanners / throughput, Little's law, whatever the
app does) but arrive on a fixed schedule at F x the ceiling's measured rate, whatever the
answers, as a queue at a door does; each latency counts from the scan's scheduled time, so
a scan held back by a slow answer is counted as late (no coordinated omission). The
`--scanners` phones are the senders; RESULT gains offered_rps. Target at --open-rate 0.5:
p99 under 50 ms and no errors.

    python bench/checkin_load.py [--postgres [ADMIN_URL]] [--tickets 500] [--scanners 32]
                                 [--open-rate F]

Last line: RESULT {json} with rps, ceiling_rps, ratio, p50_ms, p99_ms, errors, and the CPU
time per request of the server (app and database) and of the load generator (server_cpu.py).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from server_cpu import Meter

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"  # --postgres with no URL
WARM_TICKETS = 64  # scanned twice before the measured run


def pg_admin(url: str, sql: str) -> None:
    """One statement outside a transaction (CREATE/DROP DATABASE, VACUUM) on `url`."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Phone:
    """A scanner: its own session cookie and CSRF token, one HTTP request at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""
        self.csrf = ""

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers |= {"Content-Type": "application/json", "X-CSRFToken": self.csrf}
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            cookie = resp.getheader("Set-Cookie")
            if cookie:
                self.cookie = cookie.split(";", 1)[0]
            return resp.status, payload
        finally:
            conn.close()

    def open_door_link(self, link_path: str, event_key: str) -> None:
        status, _ = self.request("GET", link_path)
        assert status == 302, f"door link answered {status}"
        status, page = self.request("GET", f"/e/{event_key}/door")
        assert status == 200, f"door page answered {status}"
        self.csrf = re.search(rb'"csrf": "([^"]+)"', page).group(1).decode()


def seed(env: dict, tickets: int) -> dict:
    """Event, 500 going RSVPs and a door link, written through the app's own code."""
    script = f"""
import json, sys
from datetime import timedelta
from meetup import create_app
from meetup.extensions import db
from meetup.models import Event, Group, Membership, Rsvp, User, utcnow
from meetup.services.door import links as door_links
from meetup.services.tokens import new_event_key, new_token
app = create_app()
with app.app_context():
    org = User(email="org@example.org", name="Olga", session_token=new_token())
    group = Group(slug="bench", name="Bench")
    db.session.add_all([org, group]); db.session.flush()
    db.session.add(Membership(group_id=group.id, user_id=org.id, role="organizer"))
    start = utcnow() + timedelta(hours=1)
    event = Event(key=new_event_key(), group_id=group.id, title="Bench night", starts_at=start,
                  ends_at=start + timedelta(hours=3), timezone="Europe/Paris")
    db.session.add(event); db.session.flush()
    users = [User(email=f"guest{{i}}@example.org", name=f"Guest {{i}}", session_token=new_token())
             for i in range({tickets})]
    db.session.add_all(users); db.session.flush()
    rsvps = [Rsvp(event_id=event.id, user_id=u.id, status="going", ticket_token=new_token())
             for u in users]
    db.session.add_all(rsvps)
    link, token = door_links.create(event, "Bench scanner")
    db.session.commit()
    json.dump({{"event_key": event.key, "link": "/door/" + token,
               "tokens": [r.ticket_token for r in rsvps]}}, sys.stdout)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True
    )
    return json.loads(out.stdout)


def post(phone: Phone, path: str, body: dict) -> tuple[int, bytes]:
    """One scan; a connection error is an answer with status 0."""
    try:
        return phone.request("POST", path, body)
    except OSError as exc:
        return 0, str(exc).encode()


def drive(phones: list[Phone], jobs: list[tuple[str, dict]]) -> tuple[float, list[float], list]:
    """Run `jobs` (path, body) spread over the phones, one thread per phone."""
    latencies: list[float] = []
    answers: list = []
    lock = threading.Lock()
    chunks = [jobs[i :: len(phones)] for i in range(len(phones))]
    start_gate = threading.Barrier(len(phones) + 1)

    def work(phone: Phone, chunk: list[tuple[str, dict]]) -> None:
        mine: list[float] = []
        got = []
        start_gate.wait()
        for path, body in chunk:
            t0 = time.perf_counter()
            got.append(post(phone, path, body))
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)
            answers.extend(got)

    with ThreadPoolExecutor(len(phones)) as pool:
        futures = [pool.submit(work, p, c) for p, c in zip(phones, chunks, strict=True)]
        start_gate.wait()
        t0 = time.perf_counter()
        for f in futures:
            f.result()
        elapsed = time.perf_counter() - t0
    return elapsed, latencies, answers


def drive_open(
    phones: list[Phone], jobs: list[tuple[str, dict]], rate: float
) -> tuple[float, list[float], list]:
    """Send `jobs` at `rate` per second on a fixed schedule: job i is due at i / rate,
    sent by the next free phone, and its latency counts from when it was due."""
    latencies: list[float] = []
    answers: list = []
    lock = threading.Lock()
    next_job = iter(range(len(jobs)))
    start_gate = threading.Barrier(len(phones) + 1)
    t0 = 0.0

    def work(phone: Phone) -> None:
        mine: list[float] = []
        got = []
        start_gate.wait()
        while True:
            with lock:
                i = next(next_job, None)
            if i is None:
                break
            due = t0 + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            got.append(post(phone, *jobs[i]))
            mine.append(time.perf_counter() - due)
        with lock:
            latencies.extend(mine)
            answers.extend(got)

    with ThreadPoolExecutor(len(phones)) as pool:
        futures = [pool.submit(work, p) for p in phones]
        t0 = time.perf_counter() + 0.05  # the schedule starts once every phone is ready
        start_gate.wait()
        for f in futures:
            f.result()
        elapsed = time.perf_counter() - t0
    return elapsed, latencies, answers


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=PG,
        metavar="ADMIN_URL",
        help=f"PostgreSQL instead of SQLite: a database is made and dropped there (default {PG})",
    )
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--scanners", type=int, default=32)
    parser.add_argument(
        "--open-rate",
        type=float,
        metavar="F",
        help="scans arrive on a fixed schedule at F x the ceiling's measured rate (open loop)",
    )
    args = parser.parse_args()
    if args.open_rate is not None and not 0 < args.open_rate <= 2:
        parser.error("--open-rate is a fraction of the ceiling, e.g. 0.5")

    tmp = Path(tempfile.mkdtemp(prefix="bench_checkin_"))
    port = free_port()
    pg_db = f"bench_checkin_{os.getpid()}"
    pg_url = args.postgres.rsplit("/", 1)[0] + f"/{pg_db}" if args.postgres else None
    url = pg_url or f"sqlite:///{tmp / 'bench.db'}"
    env = {
        **os.environ,
        "MEETUP_SQLALCHEMY_DATABASE_URI": url,
        "MEETUP_SECRET_KEY": uuid.uuid4().hex,
        "MEETUP_BASE_URL": f"http://127.0.0.1:{port}",
        "MEETUP_BENCH_ENDPOINTS": "true",
        "MEETUP_RATELIMIT_ENABLED": "false",
        "MEETUP_MAIL_FILE_DIR": str(tmp / "mail"),
    }
    server = None
    try:
        if args.postgres:
            pg_admin(args.postgres, f'CREATE DATABASE "{pg_db}"')
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        data = seed(env, args.tickets + WARM_TICKETS)
        warm_tokens, tokens = data["tokens"][:WARM_TICKETS], data["tokens"][WARM_TICKETS:]
        if args.postgres:
            # A guest list is written days before the door opens, and autovacuum has been
            # by since: statistics and visibility map as a real database has them.
            pg_admin(pg_url, "VACUUM ANALYZE")
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "app:app",
            ],
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        probe = Phone(port)
        for _ in range(100):
            try:
                if probe.request("GET", "/_bench/ok")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")

        phones = [Phone(port) for _ in range(args.scanners)]
        for phone in phones:
            phone.open_door_link(data["link"], data["event_key"])
        checkin = f"/e/{data['event_key']}/checkin"

        def scans(tag: str, tokens: list[str]) -> list[tuple[str, dict]]:
            return [
                (
                    checkin,
                    {
                        "token": f"http://127.0.0.1:{port}/t/{t}",
                        "nonce": f"{tag}-{i}-{uuid.uuid4().hex[:8]}",
                        "device": "bench",
                        "method": "scan",
                    },
                )
                for i, t in enumerate(tokens)
            ]

        # Each ticket twice: the first pass checks in, the second (another scanner) is "already".
        jobs = scans("a", tokens) + scans("b", tokens)
        ping = [("/_bench/insert", {}) for _ in jobs]
        drive(phones, ping[: len(phones) * 4])  # warm up both workers and connections
        drive(phones, scans("wa", warm_tokens) + scans("wb", warm_tokens))

        with Meter(server.pid) as c1_cpu:
            c1_time, c1_lat, c1_ans = drive(phones, ping)
        offered = args.open_rate * len(ping) / c1_time if args.open_rate else None
        with Meter(server.pid) as run_cpu:
            if offered:
                run_time, lat, answers = drive_open(phones, jobs, offered)
            else:
                run_time, lat, answers = drive(phones, jobs)
        with Meter(server.pid) as c2_cpu:
            c2_time, c2_lat, c2_ans = drive(phones, ping)
        cpu = run_cpu.per_request(len(jobs))
        ceiling_cpu = {
            key: (c1_cpu.per_request(len(ping))[key] + c2_cpu.per_request(len(ping))[key]) / 2
            for key in cpu
        }

        statuses: dict[str, int] = {}
        errors = 0
        for status, payload in answers:
            if status != 200:
                errors += 1
                continue
            s = json.loads(payload)["status"]
            statuses[s] = statuses.get(s, 0) + 1
        errors += sum(1 for status, _ in c1_ans + c2_ans if status != 200)
        expected = {"checked_in": args.tickets, "already_checked_in": args.tickets}
        if statuses != expected:
            errors += 1
            print(f"unexpected answers: {statuses} (expected {expected})")

        rps = len(jobs) / run_time
        ceiling = (len(ping) / c1_time + len(ping) / c2_time) / 2
        result = {
            "database": "postgresql" if args.postgres else "sqlite",
            "tickets": args.tickets,
            "scanners": args.scanners,
            "requests": len(jobs),
            "mode": f"open loop at {args.open_rate} x ceiling" if offered else "closed loop",
            "offered_rps": round(offered, 1) if offered else None,
            "rps": round(rps, 1),
            "ceiling_rps": round(ceiling, 1),
            "ratio": round(rps / ceiling, 3),
            "p50_ms": round(pct(lat, 50), 2),
            "p99_ms": round(pct(lat, 99), 2),
            "ceiling_p50_ms": round(pct(c1_lat + c2_lat, 50), 2),
            "ceiling_p99_ms": round(pct(c1_lat + c2_lat, 99), 2),
            "answers": statuses,
            "errors": errors,
            "server_cpu_ms": round(cpu["server_cpu_ms"], 2),
            "ceiling_server_cpu_ms": round(ceiling_cpu["server_cpu_ms"], 2),
            "server_cpu_ratio": round(ceiling_cpu["server_cpu_ms"] / cpu["server_cpu_ms"], 3),
            "client_cpu_ms": round(cpu["client_cpu_ms"], 2),
            "ceiling_client_cpu_ms": round(ceiling_cpu["client_cpu_ms"], 2),
        }
        before, after = len(ping) / c1_time, len(ping) / c2_time
        lines = [
            f"database          {result['database']} (gunicorn -w 2 on 127.0.0.1)",
            f"load              {len(jobs)} check-ins ({args.tickets} tickets x 2), "
            + (
                f"arriving at {offered:.1f}/s ({args.open_rate} x the ceiling measured first), "
                f"sent by {args.scanners} phones; latency from each scan's scheduled time"
                if offered
                else f"{args.scanners} scanners in a closed loop"
            ),
            f"check-in          {rps:8.1f} req/s  p50 {result['p50_ms']:6.2f} ms  "
            f"p99 {result['p99_ms']:6.2f} ms",
            f"ceiling (insert)  {ceiling:8.1f} req/s  p50 {result['ceiling_p50_ms']:6.2f} ms  "
            f"p99 {result['ceiling_p99_ms']:6.2f} ms  (before {before:.0f}, after {after:.0f})",
            (
                f"served            {rps:.1f} of {offered:.1f} req/s offered  "
                "(target at --open-rate 0.5: p99 < 50 ms, 0 errors)"
                if offered
                else f"ratio             {result['ratio']:.3f}  "
                "(targets: ratio >= 0.6, p99 < 50 ms)"
            ),
            f"answers           {statuses}  errors {errors}",
            f"CPU per request   server (app + database) check-in "
            f"{result['server_cpu_ms']:.2f} ms, ceiling {result['ceiling_server_cpu_ms']:.2f} ms "
            f"(ratio {result['server_cpu_ratio']:.3f}); load generator "
            f"{result['client_cpu_ms']:.2f} and {result['ceiling_client_cpu_ms']:.2f} ms, "
            "on the same cores",
        ]
        print("\n".join(lines))
        print("RESULT " + json.dumps(result))
        return 0 if errors == 0 else 1
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        if args.postgres:
            pg_admin(args.postgres, f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
