"""Posting an event to the group's Slack and Discord channels.

An organizer posts an event (once per channel: posting again changes nothing); from then on
each change that shows on the card (time, place, title, seats) posts an update, a
cancellation posts once, and a few days after the event a recap says how many came and how
many introductions were made (`queue_recaps`, a worker job). Every post is a row of the
webhook outbox, written in the transaction of the change that causes it and delivered by the
worker (services/channels/delivery.py). An update still waiting to go is rewritten rather
than followed by another.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import Event, IntroPair, Rsvp, User, utcnow
from ...models.channels import Webhook, WebhookPost
from ..errors import DomainError
from ..permissions import require_organizer
from . import cards

# Fields whose change shows on the card.
CARD_FIELDS = frozenset(
    {
        "title",
        "starts_at",
        "ends_at",
        "timezone",
        "venue_name",
        "venue_address",
        "capacity",
        "hide_address",
    }
)
# A recap waits for the introductions (sent intros_delay_hours after the event, answered over
# the next days), and old events get none.
RECAP_AFTER = timedelta(days=3)
RECAP_UNTIL = timedelta(days=14)


def _going(event: Event) -> int:
    """People going: each answer with its named guests (Rsvp.party_size)."""
    return db.session.scalar(
        select(func.coalesce(func.sum(Rsvp.party_size), 0)).where(
            Rsvp.event_id == event.id, Rsvp.status == "going"
        )
    )


def _queue(hook: Webhook, event: Event, kind: str, payload: dict, now: datetime, key: str | None):
    post = WebhookPost(
        webhook_id=hook.id,
        event_id=event.id,
        kind=kind,
        dedupe_key=key,
        payload=payload,
        status="queued",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(post)
    return post


def post_event(
    event: Event, actor: User, webhook_ids: list[int] | None = None, *, now: datetime | None = None
) -> int:
    """Queue the event's card for the group's channels (all, or those in `webhook_ids`);
    returns how many posts were queued (0 when each was posted already)."""
    require_organizer(event.group_id, actor)
    now = now or utcnow()
    if event.cancelled_at is not None:
        raise DomainError("event_cancelled")
    if event.has_ended(now):
        raise DomainError("event_ended")
    posted = set(
        db.session.scalars(
            select(WebhookPost.webhook_id).where(
                WebhookPost.event_id == event.id, WebhookPost.kind == "post"
            )
        )
    )
    going = _going(event)
    queued = 0
    for hook in _active_hooks(event.group_id):
        if hook.id in posted or (webhook_ids is not None and hook.id not in webhook_ids):
            continue
        payload = cards.card(hook.platform, "post", cards.facts(event, going, hook.channel))
        _queue(hook, event, "post", payload, now, f"post:{event.id}:{hook.id}")
        queued += 1
    db.session.flush()
    return queued


def _active_hooks(group_id: int) -> list[Webhook]:
    return list(
        db.session.scalars(
            select(Webhook)
            .where(Webhook.group_id == group_id, Webhook.disabled_at.is_(None))
            .order_by(Webhook.id)
        )
    )


def _posted_hooks(event: Event) -> list[Webhook]:
    """The active channels this event was posted to."""
    return list(
        db.session.scalars(
            select(Webhook)
            .join(WebhookPost, WebhookPost.webhook_id == Webhook.id)
            .where(
                WebhookPost.event_id == event.id,
                WebhookPost.kind == "post",
                WebhookPost.status != "failed",
                Webhook.disabled_at.is_(None),
            )
            .order_by(Webhook.id)
        )
    )


def event_changed(event: Event, changed: set[str], *, now: datetime | None = None) -> int:
    """After an edit: an update to each channel the event was posted to, if the card changed."""
    if not changed & CARD_FIELDS:
        return 0
    now = now or utcnow()
    hooks = _posted_hooks(event)
    if not hooks:
        return 0
    going = _going(event)
    waiting = {
        post.webhook_id: post
        for post in db.session.scalars(
            select(WebhookPost).where(
                WebhookPost.event_id == event.id,
                WebhookPost.kind.in_(("post", "update")),
                WebhookPost.status == "queued",
            )
        )
    }
    for hook in hooks:
        post = waiting.get(hook.id)
        kind = post.kind if post is not None else "update"
        payload = cards.card(hook.platform, kind, cards.facts(event, going, hook.channel))
        if post is not None:
            post.payload = payload  # not sent yet: it goes out as it is now
        else:
            _queue(hook, event, "update", payload, now, None)
    db.session.flush()
    return len(hooks)


def event_cancelled(event: Event, *, now: datetime | None = None) -> int:
    """After a cancellation: one message to each channel the event was posted to."""
    now = now or utcnow()
    hooks = _posted_hooks(event)
    for hook in hooks:
        payload = cards.card(hook.platform, "cancel", cards.facts(event, 0, hook.channel))
        _queue(hook, event, "cancel", payload, now, f"cancel:{event.id}:{hook.id}")
    db.session.flush()
    return len(hooks)


def queue_recaps(now: datetime) -> int:
    """Worker job: a recap to each channel an event was posted to, RECAP_AFTER its end.
    Idempotent (one recap per event and channel, by its dedupe key)."""
    recap = aliased(WebhookPost)
    rows = db.session.execute(
        select(Event, Webhook)
        .join(WebhookPost, WebhookPost.event_id == Event.id)
        .join(Webhook, Webhook.id == WebhookPost.webhook_id)
        .where(
            WebhookPost.kind == "post",
            WebhookPost.status == "sent",
            Webhook.disabled_at.is_(None),
            Event.cancelled_at.is_(None),
            Event.ends_at <= now - RECAP_AFTER,
            Event.ends_at > now - RECAP_UNTIL,
            ~exists().where(
                and_(
                    recap.event_id == Event.id,
                    recap.webhook_id == Webhook.id,
                    recap.kind == "recap",
                )
            ),
        )
        .order_by(Event.id, Webhook.id)
    ).all()
    figures: dict[int, str] = {}
    for event, hook in rows:
        if event.id not in figures:
            figures[event.id] = cards.recap_line(*recap_figures(event))
        f = cards.facts(event, 0, hook.channel)
        payload = cards.card(hook.platform, "recap", f, recap=figures[event.id])
        _queue(hook, event, "recap", payload, now, f"recap:{event.id}:{hook.id}")
    db.session.flush()
    return len(rows)


def recap_figures(event: Event) -> tuple[int, int]:
    """(how many came, how many introductions were made): counts, never names."""
    came = db.session.scalar(
        select(func.count()).where(Rsvp.event_id == event.id, Rsvp.checked_in_at.is_not(None))
    )
    intros = db.session.scalar(
        select(func.count()).where(
            IntroPair.event_id == event.id, IntroPair.introduced_at.is_not(None)
        )
    )
    return came or 0, intros or 0


def hooks_and_posts(event: Event) -> tuple[list[Webhook], list[tuple[WebhookPost, Webhook]]]:
    """The group's channels, and what was posted about this event there, newest first (for
    its organizers), in one query."""
    rows = db.session.execute(
        select(Webhook, WebhookPost)
        .outerjoin(
            WebhookPost,
            and_(WebhookPost.webhook_id == Webhook.id, WebhookPost.event_id == event.id),
        )
        .where(Webhook.group_id == event.group_id)
        .order_by(Webhook.platform, Webhook.channel, Webhook.id)
    ).all()
    hooks = list({hook.id: hook for hook, _ in rows}.values())
    posted = sorted(((post, hook) for hook, post in rows if post is not None), key=_newest)
    return hooks, posted


def _newest(pair: tuple[WebhookPost, Webhook]) -> int:
    return -pair[0].id
