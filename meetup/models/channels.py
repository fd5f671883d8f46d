"""Slack and Discord incoming webhooks of a group, and the posts queued for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

WEBHOOK_PLATFORMS = ("slack", "discord")
POST_KINDS = ("post", "update", "cancel", "recap")
POST_STATUSES = ("queued", "sending", "sent", "failed")


class Webhook(db.Model):
    """An incoming-webhook URL of one Slack or Discord channel. The URL is a secret (anyone
    holding it can post there): it is shown shortened and never logged."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))  # slack, discord
    channel: Mapped[str] = mapped_column(String(40))  # its label, the ?via= of its links
    url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the platform says the webhook is gone (Slack 404 no_service, Discord 404):
    # nothing more is posted to it, and organizers are told.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookPost(db.Model):
    """One message to one webhook, written in the transaction that causes it and delivered by
    the worker (services/channels/delivery.py). `dedupe_key` makes (kind, event, webhook)
    happen once where it must (the first post, the cancellation, the recap)."""

    __tablename__ = "webhook_posts"
    __table_args__ = (Index("ix_webhook_posts_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    webhook: Mapped[Webhook] = relationship()
