"""What a group's organizers see of its email: every message, newest first, a page at a time.

Pages are keyed by the last message shown (`before`: older than that id), so a page costs
the same however far back it is, and no page holds more than PAGE_SIZE messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ...extensions import db
from ...models import OutboxMessage

PAGE_SIZE = 30


@dataclass(frozen=True)
class Page:
    messages: list[OutboxMessage]
    older: int | None  # the `before` of the next page, None on the last one


def recent(group_id: int, *, before: int | None = None, size: int = PAGE_SIZE) -> Page:
    """The group's messages, newest first, older than message `before` when given."""
    query = select(OutboxMessage).where(OutboxMessage.group_id == group_id)
    if before is not None:
        query = query.where(OutboxMessage.id < before)
    rows = list(db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, rows[-1].id if more and rows else None)
