"""The background worker: scheduled jobs, then mail delivery, pass after pass.

`flask --app app worker` runs `run()` until SIGTERM/SIGINT; `--once` runs one pass (cron).
`flask --app app serve` runs the same loop in a thread beside the development server.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from flask import current_app

from ..services.channels import delivery as webhook_delivery
from ..services.mail import outbox
from . import jobs, notices

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 60.0  # between passes while the SMTP server can't be reached


def deliver_due(**options) -> outbox.Report:
    """The outbox's delivery (services/mail/outbox.py), with the writers of every notice."""
    return outbox.deliver_due(
        write_notice=notices.write, prepare_notices=notices.prepare, **options
    )


def run_pass(*, stop: threading.Event | None = None, now: datetime | None = None) -> outbox.Report:
    """One pass: every scheduled job, then every message that is due."""
    done = jobs.run_jobs(now)
    report = deliver_due(
        stop=stop, now=now, max_seconds=float(current_app.config["WORKER_PASS_SECONDS"])
    )
    try:
        posted = webhook_delivery.deliver_due(now=now)
    except Exception:  # a database hiccup here must not stop the mail
        log.exception("Slack and Discord posts: pass failed")
        posted = webhook_delivery.Report()
    if posted.sent or posted.failed:
        log.info("posts: sent %d, failed %d", posted.sent, posted.failed)
    if any(done.values()) or report.sent or report.retried or report.failed:
        log.info(
            "pass: jobs %s; mail sent %d, to retry %d, failed %d",
            {k: v for k, v in done.items() if v},
            report.sent,
            report.retried,
            report.failed,
        )
    return report


def run(stop: threading.Event, *, once: bool = False) -> None:
    """Passes until `stop` is set; waits WORKER_POLL_SECONDS between them, longer (doubling,
    up to a minute) while the mail server is unreachable. A pass delivers for at most
    WORKER_PASS_SECONDS, so scheduled jobs run at least that often under a backlog."""
    poll = float(current_app.config["WORKER_POLL_SECONDS"])
    wait = poll
    while not stop.is_set():
        report = run_pass(stop=stop)
        if report.more_due and not report.connection_error:
            continue  # mail still due: the jobs again, then more delivery without a pause
        if once:
            return
        if report.connection_error:
            wait = min(MAX_BACKOFF_SECONDS, max(wait, poll) * 2)
            log.warning(
                "mail server unreachable (%s); next try in %.0fs", report.connection_error, wait
            )
        else:
            wait = poll
        stop.wait(wait)
