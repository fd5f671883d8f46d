"""Delivering the outbox: claim due rows, build each message, send it, record the outcome.

A row goes queued -> sending (claimed by one worker) -> sent; a failure puts it back to
queued with a later `next_attempt_at`, or marks it failed:
- temporary failures (connection refused, timeouts, SMTP 4xx) are retried with exponential
  backoff and jitter for MAIL_GIVE_UP_HOURS;
- permanent failures (SMTP 5xx) are retried until MAIL_MAX_ATTEMPTS attempts (a 5xx can come
  from a misconfigured relay that an admin fixes), then marked failed; organizers see them
  and can retry (`requeue`). A message that can't even be built fails at once.

Unlike the other services, `deliver_due` owns its transactions (it is the worker's engine):
the claim is one short transaction, sending happens outside any transaction, and each outcome
is committed as soon as it is known, so a crash re-sends at most the message in hand. A row
left "sending" by a crashed worker is claimed again after MAIL_LEASE_SECONDS; a re-sent
message carries the same Message-ID, so mail clients show it once.

Several workers: on PostgreSQL each claim is `SELECT ... FOR UPDATE SKIP LOCKED`, so two
workers never claim the same row. On SQLite the worker's transactions begin IMMEDIATE
(database.py), which serialises claims; one worker per SQLite database is the supported setup.
"""

from __future__ import annotations

import logging
import os
import random
import smtplib
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.errors import HeaderParseError
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import IO, Protocol

from flask import current_app
from sqlalchemy import Connection, Select, Update, and_, bindparam, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from ... import database
from ...extensions import db
from ...models import OutboxMessage, utcnow
from ..errors import DomainError
from . import bounces
from .messages import Written, one_line
from .mime import message_bytes

log = logging.getLogger(__name__)

# Writes a notice's message: (notice, to_name=, subject=) -> Written, or None when what it was
# about is gone. The worker passes the one that knows every notice type (worker/notices.py):
# the capabilities that queue notices sit above the mail they are sent with.
NoticeWriter = Callable[..., Written | None]
# Reads ahead, in one query per kind, what the notices of a batch will need (optional).
NoticePreparer = Callable[[list[dict]], None]

_ERROR_CHARS = 500


# ------------------------------------------------------------------ the message


@dataclass(frozen=True)
class Claimed:
    """What the worker needs of a row, read in the claim so sending needs no query."""

    id: int
    message_id: str
    to_addr: str
    to_name: str
    subject: str
    body_text: str | None  # None: a notice, written before its first attempt
    body_html: str | None
    ics: str | None
    ics_method: str | None
    qr_url: str | None
    attempts: int  # including the one in progress
    created_at: datetime
    notice: dict | None = None
    list_kind: str | None = None  # group email (services/mail/consent.py); None: transactional
    headers: dict | None = None  # List-* headers of a group email
    written: bool = False  # written by this pass: the bodies are stored with the outcome


_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.message_id,
    OutboxMessage.to_addr,
    OutboxMessage.to_name,
    OutboxMessage.subject,
    OutboxMessage.body_text,
    OutboxMessage.body_html,
    OutboxMessage.ics,
    OutboxMessage.ics_method,
    OutboxMessage.qr_url,
    OutboxMessage.attempts,
    OutboxMessage.created_at,
    OutboxMessage.notice,
    OutboxMessage.list_kind,
    OutboxMessage.headers,
)
_BODIES = ("body_text", "body_html", "ics", "ics_method", "qr_url", "headers")
# ------------------------------------------------------------------ failures


@dataclass(eq=False)
class DeliveryError(Exception):
    """A failed send. `temporary`: worth retrying later. `connection`: nothing can be sent
    right now (server down), so the rest of the batch waits too."""

    reason: str
    temporary: bool = True
    connection: bool = False
    final: bool = False  # can never succeed (the message can't be built): fail at once

    def __str__(self) -> str:
        return self.reason


def _by_code(code: int, text: bytes | str) -> DeliveryError:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return DeliveryError(f"SMTP {code} {one_line(text)}"[:_ERROR_CHARS], temporary=code < 500)


def classify(exc: BaseException, *, connecting: bool = False) -> DeliveryError:
    """SMTP 5xx: permanent; 4xx, refused connections, timeouts, resets: temporary."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, text = next(iter(exc.recipients.values()))
        return _by_code(code, text)
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 400:
        err = _by_code(exc.smtp_code, exc.smtp_error)
        err.connection = connecting
        return err
    reason = f"{type(exc).__name__}: {one_line(str(exc))}"[:_ERROR_CHARS]
    return DeliveryError(reason, temporary=True, connection=True)


def backoff(attempts: int) -> timedelta:
    """base * 2**(attempts-1), capped, with "equal jitter" (half fixed, half random) so many
    messages that failed together don't all come back at the same second."""
    cfg = current_app.config
    delay = min(cfg["MAIL_RETRY_MAX_SECONDS"], cfg["MAIL_RETRY_BASE_SECONDS"] * 2 ** (attempts - 1))
    return timedelta(seconds=max(1.0, delay / 2 + random.uniform(0, delay / 2)))


# ------------------------------------------------------------------ backends


class Backend(Protocol):
    """Takes each message as its bytes on the wire (mime.message_bytes), CRLF line ends."""

    def send(self, data: bytes, row: Claimed) -> None: ...
    def close(self) -> None: ...


class FileBackend:
    """Development: print a summary and the text body, keep the message as an .eml file.

    The file is named after the row, so a re-sent message overwrites its own file.
    """

    def __init__(self, directory: Path, out: IO[str] | None = None) -> None:
        self.directory = directory
        self.out = out or sys.stdout

    def send(self, data: bytes, row: Claimed) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"{row.created_at:%Y%m%d-%H%M%S}-{row.id}.eml"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        except OSError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}", connection=True) from exc
        print(
            f"----- mail #{row.id} to {formataddr((row.to_name, row.to_addr))}\n"
            f"Subject: {row.subject}\n\n"
            f"{row.body_text.rstrip()}\n----- kept as {path}\n",
            file=self.out,
            flush=True,
        )

    def close(self) -> None:
        pass


class SmtpBackend:
    """SMTP with one connection reused for every message of a pass, reopened if it drops."""

    def __init__(self, config: dict) -> None:
        self.config = config
        self.conn: smtplib.SMTP | None = None
        self.envelope_from = parseaddr(config["MAIL_DEFAULT_SENDER"])[1]

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        host, port, timeout = cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]), float(cfg["MAIL_TIMEOUT"])
        if cfg["MAIL_USE_SSL"]:
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            conn = smtplib.SMTP(host, port, timeout=timeout)
        try:
            if cfg["MAIL_USE_TLS"]:
                conn.starttls(context=ssl.create_default_context())
            if cfg["MAIL_USERNAME"]:
                conn.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def send(self, data: bytes, row: Claimed) -> None:
        if self.conn is None:
            try:
                self.conn = self._connect()
            except (OSError, smtplib.SMTPException) as exc:
                raise classify(exc, connecting=True) from exc
        try:
            self._send(data, row.to_addr)
        except (OSError, smtplib.SMTPException) as exc:
            err = classify(exc)
            if err.connection:
                self._drop()
            raise err from exc

    def _send(self, data: bytes, to_addr: str) -> None:
        """As smtplib's send_message: an address with other than ASCII needs SMTPUTF8."""
        options: tuple[str, ...] = ()
        if not (self.envelope_from + to_addr).isascii():
            self.conn.ehlo_or_helo_if_needed()
            if not self.conn.has_extn("smtputf8"):
                raise smtplib.SMTPNotSupported(
                    "One or more source or delivery addresses require internationalized "
                    "email support, but the server does not advertise the required SMTPUTF8 "
                    "capability"
                )
            options = ("SMTPUTF8", "BODY=8BITMIME")
        self.conn.sendmail(self.envelope_from, [to_addr], data, mail_options=options)

    def _drop(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with suppress(OSError):
                conn.close()

    def close(self) -> None:
        if self.conn is not None:
            with suppress(OSError, smtplib.SMTPException):
                self.conn.quit()
        self._drop()


def make_backend() -> Backend:
    cfg = current_app.config
    if cfg["MAIL_BACKEND"] == "smtp":
        return SmtpBackend(cfg)
    directory = cfg.get("MAIL_FILE_DIR") or Path(current_app.instance_path) / "mail"
    return FileBackend(Path(directory))


# ------------------------------------------------------------------ claiming and recording


def worker_name() -> str:
    """Who holds a claim: host:pid, plus the thread when it isn't the main one."""
    name = f"{socket.gethostname()}:{os.getpid()}"
    if threading.current_thread() is not threading.main_thread():
        name += f":{threading.get_ident()}"
    return name[:120]


def _writing():
    """One committed transaction that takes SQLite's write lock up front (BEGIN IMMEDIATE)."""
    return database.writing(db.session)


class Ledger:
    """Writes each outcome as soon as it is known: one statement, committed at once, on a
    Core connection of its own for the pass (no ORM session in the loop).

    PostgreSQL: autocommit (a single round trip per message) with asynchronous commit: the
    row is visible to every worker at once, and only a crash of the database server itself
    could lose a "sent", which would mean a re-send with the same Message-ID. Queuing a
    message (in the caller's transaction) stays fully durable.
    SQLite: a short BEGIN IMMEDIATE transaction per outcome (no network, no fsync in WAL).
    """

    def __init__(self) -> None:
        self.conn: Connection | None = None

    def write(self, stmt: Update, params: dict | None = None) -> None:
        postgres = db.engine.dialect.name == "postgresql"
        if self.conn is None:
            self.conn = db.engine.connect()
            if postgres:
                self.conn = self.conn.execution_options(isolation_level="AUTOCOMMIT")
                self.conn.exec_driver_sql("SET synchronous_commit TO OFF")
        if postgres:
            self.conn.execute(stmt, params)
            return
        token = database.set_write_intent(True)
        try:
            with self.conn.begin():
                self.conn.execute(stmt, params)
        finally:
            database.reset_write_intent(token)

    def close(self) -> None:
        if self.conn is not None:
            if db.engine.dialect.name == "postgresql":
                with suppress(SQLAlchemyError):
                    self.conn.exec_driver_sql("RESET synchronous_commit")
            self.conn.close()
            self.conn = None


def _claimable(now: datetime, limit: int) -> list[Select]:
    """The queries of a claim, each read in order from ix_outbox_due and stopping at `limit`:
    rows stuck in "sending" past their lease (a worker died), then queued rows now due, oldest
    first. One query with OR took every due row and sorted them all for each batch of 50
    (45 ms a batch with 50,000 announcement emails queued at once)."""
    lease = timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])
    stale = (
        select(*_COLUMNS)
        .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - lease)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    due = (
        select(*_COLUMNS)
        .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    return [stale, due]


def claim(limit: int, *, worker: str, now: datetime) -> list[Claimed]:
    """Claim up to `limit` due rows (stuck "sending" past the lease, or queued and due)."""
    db.session.rollback()  # start a fresh transaction, with the write intent set below
    control = current_app.config["TESTING_OUTBOX_NO_CLAIM_LOCK"]
    with _writing():
        rows = []
        for query in _claimable(now, limit):
            if len(rows) >= limit:
                break
            if not control:
                query = query.with_for_update(skip_locked=True)
            rows += db.session.execute(query.limit(limit - len(rows))).all()
        if control:
            time.sleep(0.05)  # negative control: no lock, and a window for the race
        if not rows:
            return []
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([r.id for r in rows]))
            .values(
                status="sending",
                claimed_at=now,
                claimed_by=worker,
                attempts=OutboxMessage.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
    return [Claimed(**{**r._asdict(), "attempts": r.attempts + 1}) for r in rows]


# The one outcome of almost every message, built once: a statement per message would cost
# more to construct than to run.
_SENT = (
    update(OutboxMessage)
    .where(OutboxMessage.id == bindparam("row_id"))
    .values(status="sent", sent_at=bindparam("sent_at"), last_error=None, claimed_at=None)
)
_SENT_WRITTEN = _SENT.values({name: bindparam(name) for name in _BODIES})


def _bodies(row: Claimed) -> dict[str, str | None]:
    """A notice written by this pass is stored with its outcome: a retry sends it as is."""
    return {name: getattr(row, name) for name in _BODIES} if row.written else {}


def _record(ledger: Ledger, row: Claimed, *, worker: str, fenced: bool, **values: object) -> None:
    """Write one outcome. Failures are fenced by the claim: if our lease ran out and another
    worker took the row over, its outcome wins."""
    stmt = update(OutboxMessage).where(OutboxMessage.id == row.id)
    if fenced:
        stmt = stmt.where(OutboxMessage.status == "sending", OutboxMessage.claimed_by == worker)
    ledger.write(stmt.values(**values))


def _record_failure(
    ledger: Ledger, row: Claimed, err: DeliveryError, *, worker: str, now: datetime
) -> str:
    cfg = current_app.config
    give_up = now - row.created_at > timedelta(hours=cfg["MAIL_GIVE_UP_HOURS"])
    out_of_attempts = not err.temporary and row.attempts >= cfg["MAIL_MAX_ATTEMPTS"]
    bounced = row.list_kind is not None and not err.temporary and not err.final
    if bounced:  # a hard bounce: no more group email to this address (transactional goes)
        bounces.mark_undeliverable(ledger.write, row.to_addr, err.reason, now=now)
    if bounced or err.final or out_of_attempts or (err.temporary and give_up):
        status, next_at = "failed", now
    else:
        status, next_at = "queued", now + backoff(row.attempts)
    _record(
        ledger,
        row,
        worker=worker,
        fenced=True,
        status=status,
        next_attempt_at=next_at,
        last_error=err.reason[:_ERROR_CHARS],
        claimed_at=None,
        **_bodies(row),
    )
    log.warning("mail #%s attempt %s: %s -> %s", row.id, row.attempts, err.reason, status)
    return status


def release(ledger: Ledger, rows: list[Claimed], *, worker: str) -> None:
    """Give back claimed rows not yet tried (shutting down): no attempt is counted."""
    if not rows:
        return
    ledger.write(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_([r.id for r in rows]),
            OutboxMessage.status == "sending",
            OutboxMessage.claimed_by == worker,
        )
        .values(
            status="queued",
            claimed_at=None,
            claimed_by=None,
            attempts=OutboxMessage.attempts - 1,
        )
    )


# ------------------------------------------------------------------ the pass


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0
    connection_error: str | None = None  # the server couldn't be reached: back off
    stopped: bool = False
    more_due: bool = False  # the pass ran out of its time with messages still due
    outcomes: dict[int, str] = field(default_factory=dict, repr=False)


def deliver_due(
    *,
    now: datetime | None = None,
    worker: str | None = None,
    stop: threading.Event | None = None,
    backend: Backend | None = None,
    write_notice: NoticeWriter | None = None,
    prepare_notices: NoticePreparer | None = None,
    max_seconds: float | None = None,
) -> Report:
    """Deliver due messages, batch by batch, until none is due or `max_seconds` have passed
    (then `more_due` is set: the worker runs its jobs and comes straight back, so 50,000
    welcome emails never hold up an announcement's queueing or a claim's expiry).

    `now` fixes the clock (tests); by default each step reads the time. `stop` (set by
    SIGTERM) ends the pass after the message in hand: it is sent and recorded, and the rest
    of the batch is given back at once rather than waiting for the lease to run out.
    The pass also ends on a connection failure (the server is down): the worker backs off.
    `write_notice` writes the notices among them (worker.deliver_due passes it); without it a
    notice can't be sent and fails. `prepare_notices` is given each batch's notices first.
    """
    cfg = current_app.config
    run = _Pass(
        backend=backend or make_backend(),
        ledger=Ledger(),
        sender=cfg["MAIL_DEFAULT_SENDER"],
        worker=worker or worker_name(),
        fixed_now=now,
        stop=stop or threading.Event(),
        write_notice=write_notice,
        prepare_notices=prepare_notices,
    )
    ends = None if max_seconds is None else time.monotonic() + max_seconds
    try:
        while not run.stop.is_set() and run.report.connection_error is None:
            batch = claim(cfg["MAIL_BATCH_SIZE"], worker=run.worker, now=run.now())
            if not batch:
                break
            run.deliver(batch)
            if ends is not None and time.monotonic() >= ends:
                run.report.more_due = True  # perhaps: the next pass will see
                break
    finally:
        run.backend.close()
        run.ledger.close()
    run.report.stopped = run.stop.is_set()
    return run.report


@dataclass
class _Pass:
    backend: Backend
    ledger: Ledger
    sender: str
    worker: str
    fixed_now: datetime | None
    stop: threading.Event
    write_notice: NoticeWriter | None
    prepare_notices: NoticePreparer | None = None
    report: Report = field(default_factory=Report)

    def now(self) -> datetime:
        return self.fixed_now or utcnow()

    def deliver(self, batch: list[Claimed]) -> None:
        unwritten = _write_notices(batch, self.write_notice, self.prepare_notices)
        for i, row in enumerate(batch):
            if self.stop.is_set():
                release(self.ledger, batch[i:], worker=self.worker)
                self.report.released += len(batch) - i
                return
            try:
                if row.id in unwritten:
                    raise unwritten[row.id]
                self.backend.send(_build_or_fail(row, self.sender), row)
            except DeliveryError as err:
                # Server unreachable: the rest of the batch waits too, without trying.
                failing = batch[i:] if err.connection else [row]
                for r in failing:
                    self._failed(r, err)
                if err.connection:
                    self.report.connection_error = err.reason
                    return
                continue
            # Not fenced: it was delivered, so "sent" is true whoever holds the claim now.
            sent = {"row_id": row.id, "sent_at": self.now(), **_bodies(row)}
            self.ledger.write(_SENT_WRITTEN if row.written else _SENT, sent)
            self.report.outcomes[row.id] = "sent"
            self.report.sent += 1
            log.debug("mail #%s sent", row.id)

    def _failed(self, row: Claimed, err: DeliveryError) -> None:
        status = _record_failure(self.ledger, row, err, worker=self.worker, now=self.now())
        self.report.outcomes[row.id] = status
        self.report.failed += status == "failed"
        self.report.retried += status == "queued"


def _write_notices(
    batch: list[Claimed], write_notice: NoticeWriter | None, prepare: NoticePreparer | None
) -> dict[int, DeliveryError]:
    """Write the batch's notices (worker/notices.py) in place, in one read transaction (the
    event they share is loaded once), as a reader: the Ledger writes on a connection of its
    own. Returns why each notice that couldn't be written fails."""
    errors: dict[int, DeliveryError] = {}
    if all(row.body_text is not None for row in batch):
        return errors
    token = database.set_write_intent(False)
    try:
        if prepare is not None:
            try:
                prepare([row.notice for row in batch if row.body_text is None and row.notice])
            except SQLAlchemyError:  # each notice then reads what it needs itself
                db.session.rollback()
                log.exception("reading ahead for the batch's notices failed")
        for i, row in enumerate(batch):
            if row.body_text is None:
                try:
                    batch[i] = _write(row, write_notice)
                except DeliveryError as err:
                    errors[row.id] = err
    finally:
        db.session.rollback()
        database.reset_write_intent(token)
    return errors


def _write(row: Claimed, write_notice: NoticeWriter | None) -> Claimed:
    if write_notice is None:
        raise DeliveryError(
            "no notice writer was given to this delivery", temporary=False, final=True
        )
    try:
        written = write_notice(row.notice or {}, to_name=row.to_name, subject=row.subject)
    except SQLAlchemyError as exc:
        db.session.rollback()  # the next notice reads in a transaction that works
        raise DeliveryError(f"can't write the notice: {exc}"[:_ERROR_CHARS]) from exc
    except Exception as exc:  # one broken notice must not stop the queue
        reason = f"can't write the notice: {type(exc).__name__}: {exc}"
        raise DeliveryError(reason, temporary=False, final=True) from exc
    if written is None:
        reason = "nothing to send: what this notice was about no longer exists"
        raise DeliveryError(reason, temporary=False, final=True)
    return replace(row, **written._asdict(), written=True)


def _build_or_fail(row: Claimed, sender: str) -> bytes:
    try:
        return message_bytes(row, sender)
    except (ValueError, TypeError, IndexError, HeaderParseError) as exc:
        reason = f"can't build the message: {type(exc).__name__}: {exc}"
        raise DeliveryError(reason, temporary=False, final=True) from exc


# ------------------------------------------------------------------ organizers


def problems(group_id: int) -> list[OutboxMessage]:
    """The group's messages that failed or are waiting to be retried, newest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.group_id == group_id,
                or_(
                    OutboxMessage.status == "failed",
                    and_(OutboxMessage.status == "queued", OutboxMessage.last_error.is_not(None)),
                ),
            )
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(200)
        )
    )


def requeue(group_id: int, message_id: int, *, now: datetime | None = None) -> OutboxMessage:
    """Send a failed (or retrying) message again now, with a fresh count of attempts."""
    msg = db.session.get(OutboxMessage, message_id)
    if msg is None or msg.group_id != group_id:
        raise DomainError("not_found")
    if msg.status not in ("failed", "queued"):
        raise DomainError("outbox_not_retryable")
    msg.status = "queued"
    msg.attempts = 0
    msg.last_error = None  # off the organizer's list until it fails again
    msg.next_attempt_at = now or utcnow()
    msg.claimed_at = None
    msg.claimed_by = None
    db.session.flush()
    return msg
