"""The scale-out path, proven: two gunicorn servers on two ports and two outbox workers share
one PostgreSQL database and one Redis (docs/production.md). An RSVP burst split across both
servers seats exactly the capacity, rate limits count across both, and every email is
delivered exactly once while both workers run and one of them is killed mid-batch."""

from __future__ import annotations

import asyncio
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from meetup.extensions import db
from meetup.models import OutboxMessage, Rsvp
from tests.conftest import Inbox, free_port
from tests.door_support import Device
from tests.factories import make_event, make_group, make_user
from tests.smtp_sinks import running

ROOT = Path(__file__).resolve().parent.parent
REDIS = ("127.0.0.1", 6379)
CAPACITY, PEOPLE = 5, 12
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

pytestmark = pytest.mark.slow


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis(*REDIS, socket_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means "no Redis here"
        return False


@pytest.fixture
def shared(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("several servers share PostgreSQL; SQLite serves one machine")
    if not _redis_answers():
        pytest.skip(f"no Redis on {REDIS[0]}:{REDIS[1]} for the shared rate limits")
    return database_url


class HoldOneRecipient(Inbox):
    """An SMTP server that, once `hold_at` messages have arrived, leaves the next RCPT TO
    unanswered (`held` names its address) until `release` is set: the worker sending it is
    mid-batch for certain, and nothing of that message has been delivered yet."""

    def __init__(self, hold_at: int) -> None:
        super().__init__()
        self.hold_at = hold_at
        self.held: str | None = None
        self.held_from = 0  # the client's port
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            hold = len(self.envelopes) >= self.hold_at and self.held is None
            if hold:
                self.held, self.held_from = address, session.peer[1]
        if hold:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        envelope.rcpt_tos.append(address)
        return "250 OK"


def _env(database_url: str, smtp_port: int, prefix: str) -> dict:
    return {
        **os.environ,
        "MEETUP_SQLALCHEMY_DATABASE_URI": database_url,
        "MEETUP_SECRET_KEY": "test-secret-key-not-for-production",
        "MEETUP_BASE_URL": "http://localhost",
        "MEETUP_RATELIMIT_STORAGE_URI": f"redis://{REDIS[0]}:{REDIS[1]}",
        "MEETUP_RATELIMIT_KEY_PREFIX": prefix,  # this run's counters only
        "MEETUP_MAIL_SERVER": "127.0.0.1",
        "MEETUP_MAIL_PORT": str(smtp_port),
        "MEETUP_MAIL_BATCH_SIZE": "4",
        "MEETUP_MAIL_LEASE_SECONDS": "4",  # a killed worker's rows are sent by the other
        "MEETUP_WORKER_POLL_SECONDS": "0.1",
        "PYTHONUNBUFFERED": "1",
    }


@contextmanager
def _process(args: list[str], env: dict, log: Path):
    with log.open("ab") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _gunicorn(port: int) -> list[str]:
    return [
        *(sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "4"),
        *("--no-control-socket", "-b", f"127.0.0.1:{port}", "app:app"),
    ]


def _worker() -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "app", "worker"]


def _owner(client_port: int, procs: list[subprocess.Popen]) -> subprocess.Popen:
    """The process holding the TCP connection from 127.0.0.1:`client_port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rpartition(":")[2], 16) == client_port:
                inodes.add(fields[9])
    for proc in procs:
        for fd in Path(f"/proc/{proc.pid}/fd").iterdir():
            try:
                if os.readlink(fd).removeprefix("socket:[").removesuffix("]") in inodes:
                    return proc
            except OSError:
                continue
    raise AssertionError(f"no worker holds the connection from port {client_port}")


def _wait(condition, what: str, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


def _up(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/login", timeout=10) as resp:
            return resp.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _post_form(device: Device, path: str, data: dict) -> int:
    request = urllib.request.Request(
        device.base + path, data=urllib.parse.urlencode(data).encode(), method="POST"
    )
    try:
        with device.opener.open(request, timeout=120) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _session_cookie(app, user) -> str:
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps({"_user_id": user.get_id(), "_fresh": True})


def _signed_in(base: str, value: str) -> Device:
    """A phone holding a session cookie (for 127.0.0.1, so for both servers), that reads
    redirects as answers."""
    jar = http.cookiejar.CookieJar()
    jar.set_cookie(
        http.cookiejar.Cookie(
            0,
            "session",
            value,
            None,
            False,
            "127.0.0.1",
            False,
            False,
            "/",
            True,
            False,
            None,
            False,
            None,
            None,
            {},
        )
    )
    device = Device(base)
    device.opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), _NoRedirect()
    )
    return device


def _answer_going(base: str, cookie: str, key: str) -> int:
    device = _signed_in(base, cookie)
    with device.opener.open(f"{base}/e/{key}", timeout=120) as resp:
        html = resp.read().decode()
    return _post_form(
        device, f"/e/{key}/rsvp", {"answer": "going", "csrf_token": CSRF.search(html)[1]}
    )


def test_two_servers_and_two_workers_share_one_database_and_one_redis(app, shared, tmp_path):
    log = tmp_path / "servers.log"
    event = make_event(make_group(make_user()), capacity=CAPACITY, title="Scale-out night")
    people = [make_user(f"p{i}@example.org", name=f"Person {i}") for i in range(PEOPLE)]
    key = event.key
    cookies = [_session_cookie(app, person) for person in people]
    db.session.rollback()  # hold no transaction while the servers start
    sink = HoldOneRecipient(hold_at=PEOPLE // 3)
    with ExitStack() as stack:
        smtp_port = stack.enter_context(running(sink))
        env = _env(shared, smtp_port, f"scale-{uuid.uuid4().hex}")
        bases = []
        for _ in range(2):
            port = free_port()
            stack.enter_context(_process(_gunicorn(port), env, log))
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            _wait(lambda base=base: _up(base), f"gunicorn on {base}", log, timeout=60)
        # Both workers run from now on and deliver while the burst goes on. The one whose
        # message the SMTP server holds (mid-batch, nothing of that message delivered yet)
        # is killed the moment it is held.
        workers = [stack.enter_context(_process(_worker(), env, log)) for _ in range(2)]
        killed = []

        def kill_the_held_one() -> None:
            if sink.holding.wait(90):
                victim = _owner(sink.held_from, workers)
                victim.send_signal(signal.SIGKILL)
                victim.wait(timeout=10)
                killed.append(victim)
            sink.release.set()

        killer = threading.Thread(target=kill_the_held_one, daemon=True)
        killer.start()

        # An RSVP burst split across both servers seats exactly the capacity.
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(
                pool.map(lambda i: _answer_going(bases[i % 2], cookies[i], key), range(PEOPLE))
            )
        assert set(answers) == {303}, Counter(answers)
        db.session.rollback()
        statuses = Counter(db.session.scalars(select(Rsvp.status).where(Rsvp.event_id == event.id)))
        assert statuses == {"going": CAPACITY, "waitlisted": PEOPLE - CAPACITY}

        # Rate limits count across both servers: three links to one inbox, then no more,
        # whichever server is asked (each would allow three on its own).
        asker = Device(bases[0])
        status, html = asker.get("/login")
        token = CSRF.search(html)[1]
        answered = []
        for i in range(4):
            asker.base = bases[i % 2]  # same cookie: both servers share the secret key
            answered.append(
                _post_form(asker, "/login/link", {"email": "ana@example.org", "csrf_token": token})
            )
        assert answered == [200, 200, 200, 429]

        # Every message delivered exactly once, one worker killed mid-batch.
        killer.join(timeout=60)
        db.session.rollback()
        seen = (len(sink.envelopes), Counter(db.session.scalars(select(OutboxMessage.status))))
        assert len(killed) == 1, (seen, log.read_text()[-3000:])
        assert killed[0].returncode == -signal.SIGKILL

        def all_sent() -> bool:
            db.session.rollback()
            return (
                db.session.scalar(select(func.count()).where(OutboxMessage.status != "sent")) == 0
            )

        _wait(all_sent, "every message sent", log, timeout=30)
        db.session.rollback()
        expected = set(db.session.scalars(select(OutboxMessage.message_id)))
        assert len(expected) >= PEOPLE + 3  # a notice per answer, three sign-in links
    received = Counter(message["Message-ID"] for message in sink.messages)
    assert set(received) == expected
    assert set(received.values()) == {1}, "a message was delivered twice"
