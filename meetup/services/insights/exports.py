"""The insights as CSV: the same figures as the pages, cells a spreadsheet never runs."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from ..events.attendees import safe_cell
from .figures import STAGES, EventFigures, Funnel, LinkChannel
from .members import MemberRow


def _csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()


def funnel_csv(overall: Funnel, channels: list[Funnel]) -> str:
    """One line per channel, then the overall line (channel "all")."""
    return _csv(
        ("channel", *STAGES),
        [
            (f.channel.key if f.channel else "all", *(value for _, value in f.stages()))
            for f in [*channels, overall]
        ],
    )


EVENT_HEADER = (
    "event",
    "key",
    "starts_at_utc",
    "ended",
    "going",
    "waitlisted",
    "came",
    "no_shows",
    "no_show_rate",
    "late_cancellations",
    "walk_ins",
    "waitlist_promotions_came",
    "intros_proposed",
    "intros_accepted_by_both",
    "intros_declined",
    "intros_met",
)


def events_csv(events: list[EventFigures]) -> str:
    return _csv(
        EVENT_HEADER,
        [
            (
                e.title,
                e.key,
                e.starts_at.strftime("%Y-%m-%d %H:%M"),
                "yes" if e.ended else "no",
                e.going,
                e.waitlisted,
                e.came if e.ended else "",
                "" if e.no_shows is None else e.no_shows,
                "" if e.no_show_rate is None else f"{e.no_show_rate:.3f}",
                e.late_cancellations,
                e.walk_ins,
                e.promoted_came,
                e.intros.proposed,
                e.intros.accepted,
                e.intros.declined,
                e.intros.met,
            )
            for e in events
        ],
    )


MEMBER_HEADER = (
    "name",
    "email",
    "role",
    "channel",
    "joined_at_utc",
    "rsvped",
    "came",
    "no_shows",
    "late_cancellations",
    "last_came_utc",
)


def members_csv(rows: Iterable[MemberRow]) -> str:
    return _csv(
        MEMBER_HEADER,
        (
            (
                m.name,
                m.email,
                m.role,
                m.channel.key,
                m.joined_at.strftime("%Y-%m-%d"),
                m.record.rsvped,
                m.record.came,
                m.record.no_shows,
                m.record.late,
                m.record.last_came.strftime("%Y-%m-%d") if m.record.last_came else "",
            )
            for m in rows
        ),
    )


def links_csv(channels: list[LinkChannel]) -> str:
    """RSVPs by the link they came through; "" when no channel was tracked."""
    return _csv(
        ("channel", "going", "came", "no_shows"),
        [(c.channel, c.going, c.came, c.no_shows) for c in channels],
    )
