"""Delivering Slack and Discord posts: the webhook outbox's worker side.

A post goes queued -> sending -> sent, each at most once: it is sent again only when the
platform surely didn't take it.
- 2xx: sent.
- 429 (rate limited): retried after the time the platform asks for (Retry-After, or Discord's
  `retry_after`), within WEBHOOK_RETRY_MAX_SECONDS.
- 5xx, or no connection at all: retried with exponential backoff and jitter, up to
  WEBHOOK_MAX_ATTEMPTS attempts, then failed.
- 404 or 410 (Slack's no_service or channel_is_archived, Discord's unknown webhook) or 401/403:
  the webhook is gone; the post fails and nothing more is posted there (organizers are told).
- any other 4xx (a payload refused): failed, not retried.
- the request went out but no answer came (a timeout, a reset): the platform may have it, so
  it is not sent again (failed, "unknown").
A post left "sending" by a crashed worker is never sent again: it is marked failed once its
lease has passed.

Like the mail outbox, this owns its transactions: the claim is one short transaction, the
HTTP request runs outside any transaction, and each outcome is committed at once. The URL is
checked again before every request (services/channels/webhooks.py), redirects are never
followed, and it never appears in a log or an error.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from ... import database
from ...extensions import db
from ...models import utcnow
from ...models.channels import Webhook, WebhookPost
from ..errors import DomainError
from . import webhooks

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
LEASE = timedelta(minutes=5)
USER_AGENT = "Meetup-webhooks/1"
GONE = frozenset({401, 403, 404, 410})


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Outcome:
    status: str  # sent, retry, failed, gone
    error: str | None = None
    delay: float | None = None  # retry: seconds asked for by the platform


def _writing():
    return database.writing(db.session)


def _config(name: str, default):
    return current_app.config.get(name, default)


def backoff(attempts: int) -> timedelta:
    base = float(_config("WEBHOOK_RETRY_BASE_SECONDS", 30))
    delay = min(float(_config("WEBHOOK_RETRY_MAX_SECONDS", 3600)), base * 2 ** (attempts - 1))
    return timedelta(seconds=max(1.0, delay / 2 + random.uniform(0, delay / 2)))


def _asked_delay(response: http.client.HTTPResponse, body: bytes) -> float | None:
    header = response.getheader("Retry-After")
    try:
        if header is not None:
            return max(0.0, float(header))
        value = json.loads(body or b"{}").get("retry_after")
        return max(0.0, float(value)) if value is not None else None
    except (ValueError, TypeError, AttributeError):
        return None


def send(url: str, payload: dict) -> Outcome:
    """POST `payload` as JSON to an accepted webhook URL; what came of it."""
    try:
        target = webhooks.target(url)
    except DomainError:
        return Outcome("failed", "refused: not a Slack or Discord webhook URL")
    if target.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            target.host,
            target.port or 443,
            timeout=TIMEOUT_SECONDS,
            context=ssl.create_default_context(),
        )
    else:  # the test-only local origin
        conn = http.client.HTTPConnection(target.host, target.port, timeout=TIMEOUT_SECONDS)
    body = json.dumps(payload, ensure_ascii=False).encode()
    try:
        try:
            conn.connect()
        except (OSError, ssl.SSLError) as exc:  # nothing was sent: safe to try again
            return Outcome("retry", f"connection: {type(exc).__name__}")
        try:
            conn.request(
                "POST",
                target.path,
                body=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
            )
            response = conn.getresponse()
            answer = response.read(4096)
        except (OSError, http.client.HTTPException) as exc:
            # It may have arrived: sending it again could post it twice.
            return Outcome("failed", f"unknown: no answer ({type(exc).__name__}), not re-sent")
    finally:
        conn.close()
    code = response.status
    said = answer.decode("utf-8", "replace")[:200]
    if 200 <= code < 300:
        return Outcome("sent")
    if code == 429:
        return Outcome("retry", f"429 rate limited {said}", _asked_delay(response, answer))
    if code in GONE:
        return Outcome("gone", f"{code} {said}")
    if code >= 500:
        return Outcome("retry", f"{code} {said}")
    return Outcome("failed", f"{code} {said}")


def _sweep(now: datetime) -> int:
    """Posts left "sending" past their lease (a worker died mid-request) fail, unsent again."""
    result = db.session.execute(
        update(WebhookPost)
        .where(WebhookPost.status == "sending", WebhookPost.next_attempt_at < now)
        .values(status="failed", last_error="interrupted: not re-sent")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def claim(limit: int, now: datetime) -> list[tuple[int, str, dict, int, int]]:
    """(post id, URL, payload, webhook id, attempts) of up to `limit` due posts, now "sending"."""
    db.session.rollback()
    query = (
        select(WebhookPost.id, Webhook.url, WebhookPost.payload, Webhook.id, WebhookPost.attempts)
        .join(Webhook, Webhook.id == WebhookPost.webhook_id)
        .where(
            WebhookPost.status == "queued",
            WebhookPost.next_attempt_at <= now,
            Webhook.disabled_at.is_(None),
        )
        .order_by(WebhookPost.next_attempt_at, WebhookPost.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookPost)
    )
    with _writing():
        _sweep(now)
        rows = db.session.execute(query).all()
        if rows:
            db.session.execute(
                update(WebhookPost)
                .where(WebhookPost.id.in_([r[0] for r in rows]))
                .values(
                    status="sending",
                    attempts=WebhookPost.attempts + 1,
                    next_attempt_at=now + LEASE,
                )
                .execution_options(synchronize_session=False)
            )
    return [(r[0], r[1], r[2], r[3], r[4] + 1) for r in rows]


def _record(post_id: int, webhook_id: int, attempts: int, outcome: Outcome, now: datetime) -> str:
    values: dict = {"last_error": outcome.error}
    status = outcome.status
    if status == "sent":
        values.update(status="sent", sent_at=now)
    elif status == "retry" and attempts < int(_config("WEBHOOK_MAX_ATTEMPTS", 8)):
        delay = backoff(attempts)
        if outcome.delay is not None:
            cap = float(_config("WEBHOOK_RETRY_MAX_SECONDS", 3600))
            delay = timedelta(seconds=min(cap, max(1.0, outcome.delay)))
        values.update(status="queued", next_attempt_at=now + delay)
    else:
        status = "gone" if status == "gone" else "failed"
        values.update(status="failed")
    with _writing():
        db.session.execute(
            update(WebhookPost)
            .where(WebhookPost.id == post_id, WebhookPost.status == "sending")
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if status == "gone":
            db.session.execute(
                update(Webhook)
                .where(Webhook.id == webhook_id, Webhook.disabled_at.is_(None))
                .values(disabled_at=now)
                .execution_options(synchronize_session=False)
            )
    return values["status"]


def deliver_due(*, now: datetime | None = None, limit: int = 50) -> Report:
    """One pass: send every due post once. Called by the worker after the mail."""
    report = Report()
    now = now or utcnow()
    for post_id, url, payload, webhook_id, attempts in claim(limit, now):
        outcome = send(url, payload)
        status = _record(post_id, webhook_id, attempts, outcome, now)
        if status == "sent":
            report.sent += 1
        elif status == "queued":
            report.retried += 1
        else:
            report.failed += 1
            log.warning("webhook post %d failed: %s", post_id, outcome.error)
    return report
