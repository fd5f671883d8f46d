"""The scheduled jobs the worker runs on every pass, before delivering mail.

A job is a function `job(now) -> int` (how much it did: messages queued, rows expired...).
It must be idempotent: running it twice, or from two workers, changes nothing the second
time. For messages, pass `dedupe_key=f"<kind>:<event id>:<user id>"` to mail.queue(): the
outbox's unique dedupe_key makes (event, person, kind) happen once.

To add a job, write it next to the rule it belongs to (services/events/waitlist.py,
services/intros/proposals.py) and append it to JOBS below, one per line. Each job runs in its
own transaction, committed when it returns; an exception rolls that job back, is logged, and
doesn't stop the others or the delivery of mail. On PostgreSQL an advisory lock lets one worker
at a time run a job.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import database
from ..extensions import db
from ..models import utcnow
from ..services.channels.posts import queue_recaps as queue_channel_recaps
from ..services.events.announcements import queue_announcements
from ..services.events.approval import close_started as close_started_requests
from ..services.events.series import extend_all as add_series_dates
from ..services.events.waitlist import expire_claims
from ..services.insights.digest import send_rsvp_digests
from ..services.insights.followups import send_followups
from ..services.intros.proposals import ask_if_met as ask_if_intros_met
from ..services.intros.proposals import remind_unanswered as remind_unanswered_intros
from ..services.intros.proposals import send_suggestions as send_intro_suggestions
from ..services.mail.consent import show_members_who_answered
from ..services.mail.reminders import send_reminders

log = logging.getLogger(__name__)

Job = Callable[[datetime], int]

JOBS: list[Job] = [
    add_series_dates,
    queue_announcements,
    send_reminders,
    expire_claims,
    close_started_requests,
    send_intro_suggestions,
    remind_unanswered_intros,
    ask_if_intros_met,
    show_members_who_answered,
    send_followups,
    send_rsvp_digests,
    queue_channel_recaps,
]


def _lock_job(job: Job) -> bool:
    """PostgreSQL: only one worker runs a given job at a time (released at commit).
    SQLite: the BEGIN IMMEDIATE transaction already serialises."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    key = zlib.crc32(f"meetup.job.{job.__module__}.{job.__qualname__}".encode())
    return bool(db.session.scalar(select(func.pg_try_advisory_xact_lock(key))))


def run_jobs(now: datetime | None = None, jobs: list[Job] | None = None) -> dict[str, int]:
    """Run every job once; returns {job name: work done}. Commits after each job."""
    now = now or utcnow()
    done: dict[str, int] = {}
    for job in JOBS if jobs is None else jobs:
        name = job.__qualname__
        db.session.rollback()
        token = database.set_write_intent(True)
        try:
            if not _lock_job(job):
                db.session.rollback()
                continue
            done[name] = job(now)
            db.session.commit()
        except IntegrityError:
            # Another worker did the same work at the same moment: its rows stand.
            db.session.rollback()
            log.info("job %s: raced with another worker; it will run again next pass", name)
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", name)
        finally:
            database.reset_write_intent(token)
    return done
