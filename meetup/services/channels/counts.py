"""Which channel brought whom: an event's answers per status and per first channel, with
check-ins, in one aggregate query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import RSVP_STATUSES, Event, Rsvp

STATUSES = RSVP_STATUSES


@dataclass(frozen=True)
class ChannelCount:
    channel: str | None  # None: came without a tagged link
    going: int
    waitlisted: int
    checked_in: int


def figures(event: Event) -> tuple[dict[str, int], list[ChannelCount]]:
    """(rows per status, as services.events.editing.rsvp_counts gives them; going, waitlisted
    and check-ins per first channel, the busiest first and "no channel" last)."""
    rows = db.session.execute(
        # People: each answer with its named guests (Rsvp.party_size).
        select(Rsvp.channel, Rsvp.status, func.sum(Rsvp.party_size), func.count(Rsvp.checked_in_at))
        .where(Rsvp.event_id == event.id)
        .group_by(Rsvp.channel, Rsvp.status)
    ).all()
    statuses = dict.fromkeys(STATUSES, 0)
    channels: dict[str | None, list[int]] = {}
    for channel, status, count, came in rows:
        statuses[status] = statuses.get(status, 0) + count
        if status in ("going", "waitlisted"):
            line = channels.setdefault(channel, [0, 0, 0])
            line[0 if status == "going" else 1] += count
            line[2] += came
    counts = [ChannelCount(c, *line) for c, line in channels.items()]
    counts.sort(key=lambda c: (c.channel is None, -c.going, -c.waitlisted, c.channel or ""))
    return statuses, counts


def per_channel(event: Event) -> list[ChannelCount]:
    return figures(event)[1]
