"""Demo data to click through: a Slack community, its organizer, ~30 members, two events.

Idempotent: everything is looked up by a fixed email, slug or title before it is made, so
running `flask --app app demo` again changes nothing and prints the same links.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from . import demo_approval
from .extensions import db
from .models import Event, Group, Membership, Rsvp, Series, User, utcnow
from .services.accounts import users as accounts
from .services.community import groups, invite_links, member_import
from .services.events import guests
from .services.events import questions as event_questions
from .services.events import series as series_service
from .services.events.editing import EventInput, create_event
from .services.tokens import new_token

# No passwords: the command prints fresh magic links, so a demo run leaves no known secret.
ORGANIZER_EMAIL = "organizer@example.org"
MEMBER_EMAIL = "priya.raman@example.com"  # one of the imported members
GROUP_NAME = "Paris Data Engineers"
TIMEZONE = "Europe/Paris"
UPCOMING_TITLE = "Data Engineers Meetup: streaming in production"
PAST_TITLE = "Data Engineers Meetup: hiring panel"
SERIES_TITLE = "Data office hours"  # monthly, on the first Thursday
GUEST_NAME = "Léa Martin"  # the member's named guest at the upcoming event (no email)

# What each member looks for and can offer (words and tags), so the introductions after the
# past event have something real to work with.
PROFILES_FILE = Path(__file__).resolve().parent / "demo_data" / "profiles.json"
SLACK_CSV = Path(__file__).resolve().parent / "demo_data" / "slack_members.csv"


@dataclass
class DemoResult:
    group: Group
    organizer: User
    member: User
    upcoming: Event
    past: Event
    ticket_rsvp: Rsvp | None
    series: Series
    approval_event: Event | None = None  # a dinner whose organizer approves each RSVP


def _account(email: str, name: str, now: datetime) -> User:
    user = accounts.get_or_create(email, name, now=now)
    user.email_confirmed_at = user.email_confirmed_at or now
    return user


def _local(day: datetime, hour: int) -> datetime:
    """A wall-clock reading in the demo's zone, `day` days from today."""
    local = day.astimezone(ZoneInfo(TIMEZONE))
    return local.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None)


def _event(group: Group, organizer: User, title: str, data: EventInput, now: datetime) -> Event:
    existing = db.session.scalar(
        select(Event).where(Event.group_id == group.id, Event.title == title)
    )
    return existing or create_event(group, organizer, data, now=now)


def seed(now: datetime | None = None) -> DemoResult:
    now = now or utcnow()
    organizer = _account(ORGANIZER_EMAIL, "Camille Durand", now)
    organizer.headline = organizer.headline or "Organizer of Paris Data Engineers"
    db.session.flush()

    group = db.session.scalar(select(Group).where(Group.name == GROUP_NAME))
    if group is None:
        group = groups.create_group(
            organizer,
            name=GROUP_NAME,
            description=(
                "Data engineers from our **Slack** meeting every month in Paris: "
                "talks, pizza and people worth knowing."
            ),
            platform="slack",
            community_url="https://paris-data-engineers.slack.com",
            now=now,
        )
        member_import.import_csv_file(group, SLACK_CSV, guests=True, now=now)  # Zara too
        invite_links.create_invite(group, organizer, "Slack #general", now=now)
        invite_links.create_invite(group, organizer, "Alumni newsletter", now=now)

    members = list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.group_id == group.id, User.id != organizer.id)
            .order_by(User.email)
        )
    )
    profiles = json.loads(PROFILES_FILE.read_text(encoding="utf-8"))
    for user in members:
        if not user.looking_for:
            for field, value in profiles.get(user.email, {}).items():
                setattr(user, field, value)
    member = _account(MEMBER_EMAIL, "Priya Raman", now)
    # The member you sign in as holds a ticket to the upcoming event.
    members.sort(key=lambda u: u.id != member.id)

    in_ten_days = now + timedelta(days=10)
    upcoming = _event(
        group,
        organizer,
        UPCOMING_TITLE,
        EventInput(
            title=UPCOMING_TITLE,
            timezone=TIMEZONE,
            starts_local=_local(in_ten_days, 19),
            ends_local=_local(in_ten_days, 22),
            description=(
                "Three short talks on running streaming pipelines in production, then drinks.\n\n"
                "Slides will be shared on https://example.org/slides"
            ),
            venue_name="La Cantine",
            venue_address="151 Rue Montmartre, 75002 Paris",
            capacity=25,
            visibility="public",
            max_guests=2,  # named plus-ones: Priya brings Léa
        ),
        now,
    )
    # Two days ago, with introductions held for three days after it: the organizer can still
    # review them (home shows when they go out) and send them at once.
    two_days_ago = now - timedelta(days=2)
    past = _event(
        group,
        organizer,
        PAST_TITLE,
        EventInput(
            title=PAST_TITLE,
            timezone=TIMEZONE,
            starts_local=_local(two_days_ago, 19),
            ends_local=_local(two_days_ago, 22),
            description="Lightning talks and a panel on hiring data engineers.",
            venue_name="Station F",
            venue_address="5 Parvis Alan Turing, 75013 Paris",
            capacity=40,
            intros_delay_hours=72,
        ),
        two_days_ago - timedelta(days=14),  # it was planned two weeks ahead
    )
    _answers(upcoming, members[:23], organizer, now)
    _answers(past, members[:18], organizer, two_days_ago - timedelta(days=7), checked_in=15)
    db.session.flush()
    _dietary_question(upcoming)
    ticket = db.session.scalar(
        select(Rsvp).where(Rsvp.event_id == upcoming.id, Rsvp.user_id == member.id)
    )
    if ticket is not None and ticket.party_size == 1:
        guests.replace_party(ticket, [guests.GuestInput(GUEST_NAME)], now)
    series = _series(group, organizer, member, now)
    dinner = demo_approval.seed(group, organizer, member, members[23:27], now, _local)
    return DemoResult(group, organizer, member, upcoming, past, ticket, series, dinner)


def _series(group: Group, organizer: User, member: User, now: datetime) -> Series:
    """A monthly series on the first Thursday, which the member follows."""
    for series in db.session.scalars(select(Series).where(Series.group_id == group.id)):
        if series.title == SERIES_TITLE:
            return series
    first = _local(now + timedelta(days=3), 18)
    while first.weekday() != 3 or first.day > 7:  # the next first Thursday of a month
        first += timedelta(days=1)
    series = series_service.create_series(
        group,
        organizer,
        EventInput(
            title=SERIES_TITLE,
            timezone=TIMEZONE,
            starts_local=first,
            ends_local=first + timedelta(hours=2),
            description="Bring a question about your pipelines; leave with three answers.",
            venue_name="Le Wagon",
            venue_address="16 Villa Gaudelet, 75011 Paris",
            capacity=15,
        ),
        frequency="monthly",
        count=12,
        now=now,
    )
    series_service.follow(series, member, now=now)
    return series


DIETS = ("None", "Vegetarian", "Vegan", "Gluten-free")


def _dietary_question(event: Event) -> None:
    """The upcoming event asks one question at RSVP; some of those going answered it."""
    if event.questions:
        return
    question = event_questions.add(event, "one_choice", "Dietary needs", options=list(DIETS))
    going = db.session.scalars(
        select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.status == "going").order_by(Rsvp.id)
    )
    for i, rsvp in enumerate(going):
        if i % 3 == 1:
            rsvp.question_answers = {question.id: DIETS[(i // 3) % len(DIETS)]}


def _answers(
    event: Event, people: list[User], organizer: User, when: datetime, checked_in: int = 0
) -> None:
    """RSVPs (going up to capacity, then waitlisted) unless the event already has them."""
    others = (Rsvp.event_id == event.id) & (Rsvp.user_id != organizer.id)  # they hold a seat
    if db.session.scalar(select(Rsvp.id).where(others).limit(1)):
        return
    for i, user in enumerate(people):
        going = event.capacity is None or i < event.capacity
        rsvp = Rsvp(
            event_id=event.id,
            user_id=user.id,
            status="going" if going else "waitlisted",
            requested_at=when + timedelta(minutes=i),
            looking_for=user.looking_for,
            can_offer=user.can_offer,
            wants_intros=user.wants_intros,
            ticket_token=new_token() if going else None,
        )
        if going and i < checked_in:
            rsvp.checked_in_at = event.starts_at + timedelta(minutes=5 + i)
            rsvp.checked_in_by = organizer.display_name
        db.session.add(rsvp)
