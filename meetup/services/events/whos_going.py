"""Who's going: the count for everyone who sees the event; to the group's members (and to
anyone going), the people going who chose to be listed, by name and headline.

Being listed is each person's choice on their RSVP, off by default (`Rsvp.listed`). Nobody
else's answers, email or company are shown. One query for the list, whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ...extensions import db
from ...models import Event, Rsvp, User

SHOWN = 100  # names shown at most; the count says the rest


@dataclass(frozen=True)
class Person:
    name: str
    headline: str


@dataclass(frozen=True)
class WhosGoing:
    going: int
    people: list[Person] | None  # None: the viewer may not see names
    unlisted: int  # going, not listed (or beyond SHOWN)
    mine: bool | None  # whether the viewer is listed; None: not going


def whos_going(event: Event, *, going: int, member: bool, my_rsvp: Rsvp | None) -> WhosGoing:
    """`going`: the count the page has already; `member`: the viewer is in the group."""
    attending = my_rsvp is not None and my_rsvp.status == "going"
    mine = bool(my_rsvp.listed) if attending else None
    if not (member or attending) or going == 0:
        return WhosGoing(going, None if not (member or attending) else [], going, mine)
    rows = db.session.execute(
        select(User.name, User.headline)
        .join(Rsvp, Rsvp.user_id == User.id)
        .where(Rsvp.event_id == event.id, Rsvp.status == "going", Rsvp.listed.is_(True))
        .order_by(Rsvp.requested_at, Rsvp.id)
        .limit(SHOWN)
    ).all()
    people = [Person(name or "", headline or "") for name, headline in rows if name]
    return WhosGoing(going, people, max(0, going - len(people)), mine)
