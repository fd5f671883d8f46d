"""A Hypothesis state machine over parties: answers with 0 to 2 named guests, guests added
and removed by their host, cancellations, capacity changes, removals and seats given by hand.
After every step:

- seats (the sum of party sizes going) never exceed the capacity, except by an organizer's
  override (and lowering the capacity takes nobody's seat);
- every party is whole: its size is 1 + its guests, and its guests hold tickets exactly
  while it is going;
- first come, first served: positions follow requested_at, the parties seated by a step are
  exactly the head of the line before it, and while anyone waits the party at the head of
  the line doesn't fit in the free seats (nobody passes it).
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from meetup.extensions import db
from meetup.models import Rsvp, utcnow
from meetup.services.errors import DomainError
from meetup.services.events import answers, attendees, parties, seats
from meetup.services.events.guests import GuestInput
from tests.factories import make_event, make_group, make_user

PEOPLE = 6
person = st.integers(0, PEOPLE - 1)


class PartyMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.event = make_event(make_group(make_user()), capacity=4, max_guests=2)
        self.users = [make_user() for _ in range(PEOPLE)]
        self.now = utcnow()

    def tick(self):
        self.now += timedelta(seconds=1)
        return self.now

    def rows(self) -> list[Rsvp]:
        return db.session.scalars(
            select(Rsvp)
            .where(Rsvp.event_id == self.event.id)
            .order_by(Rsvp.requested_at, Rsvp.id)
            .execution_options(populate_existing=True)
        ).all()

    def row_of(self, i: int) -> Rsvp | None:
        return next((r for r in self.rows() if r.user_id == self.users[i].id), None)

    def step(self, action, *, override: int = 0, actor: int | None = None):
        """Run one action in its own transaction and check what it did to the seats."""
        before = self.rows()
        seated_before = sum(r.party_size for r in before if r.status == "going")
        going_before = {r.id for r in before if r.status == "going"}
        line_before = [r.id for r in before if r.status == "waitlisted"]
        try:
            action()
            db.session.commit()
        except DomainError:
            db.session.rollback()
            return
        after = self.rows()
        seated = sum(r.party_size for r in after if r.status == "going")
        capacity = self.event.capacity
        if capacity is not None:
            assert seated <= max(capacity, seated_before + override)
        if not override:
            actor_id = None if actor is None else self.users[actor].id
            promoted = [
                r.id
                for r in after
                if r.status == "going" and r.id not in going_before and r.user_id != actor_id
            ]
            # Among those still in line or seated: a party that left the line (removed, "can't
            # go") may let a smaller one behind it take the seats it was waiting for.
            status = {r.id: r.status for r in after}
            line = [rid for rid in line_before if status.get(rid) in seats.ACTIVE]
            from_line = [rid for rid in promoted if rid in line]
            assert from_line == line[: len(from_line)]

    # ---------------------------------------------------------------- rules

    @initialize(n=st.integers(0, PEOPLE), sizes=st.lists(st.integers(0, 2), min_size=PEOPLE))
    def crowd(self, n, sizes):
        for i in range(n):
            self.answer(i, True, sizes[i])

    @rule(i=person, going=st.booleans(), guests=st.integers(0, 2))
    def answer(self, i, going, guests):
        party = answers.Answers(guests=[GuestInput(f"G{i}.{n}") for n in range(guests)])
        self.step(
            lambda: answers.answer(self.event, self.users[i], going, party, now=self.tick()),
            actor=i,
        )

    @rule(i=person)
    def add_guest(self, i):
        row = self.row_of(i)
        if row is not None:
            guest = GuestInput(f"Extra {i}")
            self.step(lambda: parties.add_guest(self.event, row, guest, now=self.tick()))

    @rule(i=person)
    def remove_guest(self, i):
        row = self.row_of(i)
        if row is not None and row.guests:
            guest_id = row.guests[0].id
            self.step(lambda: parties.remove_guest(self.event, row, guest_id, now=self.tick()))

    @rule(capacity=st.one_of(st.none(), st.integers(0, 6)))
    def change_capacity(self, capacity):
        self.step(lambda: attendees.set_capacity(self.event, capacity, now=self.tick()))

    @rule(i=person)
    def remove(self, i):
        row = self.row_of(i)
        if row is not None:
            self.step(lambda: attendees.remove(self.event, row.id, now=self.tick()))

    @rule(i=person, override=st.booleans())
    def promote(self, i, override):
        row = self.row_of(i)
        if row is not None:
            self.step(
                lambda: attendees.promote(self.event, row.id, override=override, now=self.tick()),
                override=row.party_size if override else 0,
                actor=i,
            )

    # ---------------------------------------------------------------- invariants

    @invariant()
    def every_party_is_whole(self):
        for row in self.rows():
            db.session.refresh(row, ["guests"])
            assert row.party_size == 1 + len(row.guests)
            assert (row.status == "going") == (row.ticket_token is not None)
            for guest in row.guests:
                assert (guest.ticket_token is not None) == (row.status == "going")

    @invariant()
    def nobody_passes_the_head_of_the_line(self):
        rows = self.rows()
        line = [r for r in rows if r.status == "waitlisted"]
        assert [seats.waitlist_position(r) for r in line] == list(range(1, len(line) + 1))
        if line:
            seated = sum(r.party_size for r in rows if r.status == "going")
            assert self.event.capacity is not None
            assert line[0].party_size > self.event.capacity - seated


def test_party_state_machine(app):
    run_state_machine_as_test(
        PartyMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
