"""A group's Slack and Discord incoming webhooks.

Only the platforms' own webhook URLs are accepted: https, on hooks.slack.com under
/services/..., or on discord.com / discordapp.com under /api/webhooks/<id>/<token>; no port,
no user, no query. Anything else is refused, so the server never sends a request to a host a
user typed. The one exception is a test-only setting, TESTING_WEBHOOK_ORIGIN
("http://127.0.0.1:<port>", honoured only when TESTING is on and the host is 127.0.0.1), so
tests can check the payloads against a local HTTP server. The same check runs again before
every delivery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import Group, User, utcnow
from ...models.channels import Webhook
from ..errors import DomainError
from ..permissions import require_organizer
from . import labels

URL_MAX = 500
_HOSTS = {
    "hooks.slack.com": "slack",
    "discord.com": "discord",
    "discordapp.com": "discord",
}
_PATHS = {
    "slack": re.compile(r"/services/[A-Za-z0-9]{1,40}/[A-Za-z0-9]{1,40}/[A-Za-z0-9]{1,80}"),
    "discord": re.compile(r"/api/webhooks/[0-9]{1,25}/[A-Za-z0-9_-]{1,120}"),
}


@dataclass(frozen=True)
class Target:
    """Where a webhook URL posts: the platform, and how to connect (https or, in tests, the
    local origin)."""

    platform: str
    scheme: str
    host: str
    port: int | None
    path: str


def _test_origin() -> tuple[str, str, int] | None:
    origin = current_app.config.get("TESTING_WEBHOOK_ORIGIN")
    if not origin or not current_app.config.get("TESTING"):
        return None
    parts = urlsplit(origin)
    if parts.scheme != "http" or parts.hostname != "127.0.0.1" or parts.port is None:
        return None
    return parts.scheme, parts.hostname, parts.port


def target(url: str) -> Target:
    """The parsed URL if it is an accepted webhook URL, else DomainError("webhook_url_refused")."""
    if not isinstance(url, str) or len(url) > URL_MAX or any(ord(c) < 33 for c in url):
        raise DomainError("webhook_url_refused")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DomainError("webhook_url_refused") from None
    if parts.username or parts.password or parts.query or parts.fragment:
        raise DomainError("webhook_url_refused")
    local = _test_origin()
    if local is not None and (parts.scheme, parts.hostname, port) == local:
        platform = next((p for p, path in _PATHS.items() if path.fullmatch(parts.path)), None)
    elif parts.scheme == "https" and port in (None, 443):
        platform = _HOSTS.get(parts.hostname or "")
        if platform is not None and not _PATHS[platform].fullmatch(parts.path):
            platform = None
    else:
        platform = None
    if platform is None or parts.netloc.lower() != parts.netloc:
        raise DomainError("webhook_url_refused")
    return Target(platform, parts.scheme, parts.hostname or "", port, parts.path)


def shown(url: str) -> str:
    """The URL as organizers see it: the host and the path without its secret last part."""
    parts = urlsplit(url)
    return f"{parts.hostname}{parts.path.rsplit('/', 1)[0]}/…"


def add(
    group: Group, actor: User, url: str, channel: str, *, now: datetime | None = None
) -> Webhook:
    require_organizer(group, actor)
    url = (url or "").strip()
    found = target(url)
    label = labels.clean((channel or "").strip()) or labels.from_text(channel or "")
    if label is None:
        raise DomainError("webhook_channel_invalid")
    taken = db.session.scalar(
        select(Webhook.id).where(
            Webhook.group_id == group.id, Webhook.url == url, Webhook.disabled_at.is_(None)
        )
    )
    if taken is not None:
        raise DomainError("webhook_exists")
    hook = Webhook(
        group_id=group.id,
        platform=found.platform,
        channel=label,
        url=url,
        created_at=now or utcnow(),
    )
    db.session.add(hook)
    db.session.flush()
    return hook


def remove(group: Group, actor: User, webhook_id: int) -> Webhook:
    require_organizer(group, actor)
    hook = db.session.get(Webhook, webhook_id)
    if hook is None or hook.group_id != group.id:
        raise DomainError("webhook_not_found")
    db.session.delete(hook)
    db.session.flush()
    return hook


def of_group(group: Group, *, active_only: bool = False) -> list[Webhook]:
    query = select(Webhook).where(Webhook.group_id == group.id)
    if active_only:
        query = query.where(Webhook.disabled_at.is_(None))
    return list(db.session.scalars(query.order_by(Webhook.platform, Webhook.channel, Webhook.id)))
