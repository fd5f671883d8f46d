"""A Hypothesis state machine over RSVP, cancel, ask by email/confirm, capacity changes,
removal (and putting back), promotion by hand and adding someone by hand. After every step:

- nobody holds a seat beyond the capacity, except the one an organizer added with an override
  (and lowering the capacity takes nobody's seat);
- the waitlist is strictly first come, first served: positions follow requested_at, and the
  people promoted by a step are exactly the head of the line before it;
- a person has one row, so can't be both going and waitlisted; going <=> a ticket, unique;
- every free seat is filled while someone waits.
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
from meetup.services.events import answers, attendees, seats
from tests.factories import make_event, make_group, make_user

PEOPLE = 7
person = st.integers(0, PEOPLE - 1)


class RsvpMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.event = make_event(make_group(make_user()), capacity=2)
        self.users = [make_user() for _ in range(PEOPLE)]
        self.now = utcnow()
        self.links: dict[int, str] = {}

    # ---------------------------------------------------------------- helpers

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

    def step(self, action, *, adds_one: bool = False, actor: int | None = None):
        """Run one action in its own transaction and check what it did to the seats."""
        before = self.rows()
        going_before = {r.id for r in before if r.status == "going"}
        line_before = [r.id for r in before if r.status == "waitlisted"]
        try:
            action()
            db.session.commit()
        except DomainError:
            db.session.rollback()
            return
        after = self.rows()
        going = [r for r in after if r.status == "going"]
        capacity = self.event.capacity
        limit = len(going_before) + (1 if adds_one else 0)
        if capacity is not None:
            assert len(going) <= max(capacity, limit)
        if not adds_one:
            # Seats given by the system go to the head of the line, in order.
            actor_row = None if actor is None else self.row_of(actor, after)
            promoted = [
                r.id
                for r in going
                if r.id not in going_before and (actor_row is None or r.id != actor_row.id)
            ]
            promoted_from_line = [rid for rid in promoted if rid in line_before]
            assert promoted_from_line == line_before[: len(promoted_from_line)]

    def row_of(self, i: int, rows=None) -> Rsvp | None:
        uid = self.users[i].id
        return next((r for r in (rows or self.rows()) if r.user_id == uid), None)

    # ---------------------------------------------------------------- rules

    @initialize(n=st.integers(0, PEOPLE))
    def crowd(self, n):
        """Start most runs with a full event and a line, where the interesting cases are."""
        for i in range(n):
            self.answer(i, True)

    @rule(i=person, going=st.booleans())
    def answer(self, i, going):
        self.step(
            lambda: answers.answer(self.event, self.users[i], going, now=self.tick()), actor=i
        )

    @rule(i=person)
    def ask_by_email(self, i):
        def act():
            _, token = answers.request_by_email(
                self.event, self.users[i].email, "Someone", now=self.tick()
            )
            self.links[i] = token

        self.step(act)

    @rule(i=person)
    def confirm_link(self, i):
        token = self.links.pop(i, None)
        if token is not None:
            self.step(lambda: answers.confirm_by_link(token, now=self.tick()), actor=i)

    @rule(capacity=st.one_of(st.none(), st.integers(0, 5)))
    def change_capacity(self, capacity):
        self.step(lambda: attendees.set_capacity(self.event, capacity, now=self.tick()))

    @rule(i=person)
    def remove(self, i):
        row = self.row_of(i)
        if row is not None:
            self.step(lambda: attendees.remove(self.event, row.id, now=self.tick()))

    @rule(i=person)
    def reinstate(self, i):
        row = self.row_of(i)
        if row is not None:
            self.step(lambda: attendees.reinstate(self.event, row.id, now=self.tick()), actor=i)

    @rule(i=person, override=st.booleans())
    def promote(self, i, override):
        row = self.row_of(i)
        if row is not None:
            self.step(
                lambda: attendees.promote(self.event, row.id, override=override, now=self.tick()),
                adds_one=override,
                actor=i,
            )

    @rule(i=person, override=st.booleans())
    def add_by_hand(self, i, override):
        user = self.users[i]
        self.step(
            lambda: attendees.add(
                self.event, user.email, user.name, override=override, now=self.tick()
            ),
            adds_one=override,
            actor=i,
        )

    # ---------------------------------------------------------------- invariants

    @invariant()
    def one_row_per_person_and_tickets_match(self):
        rows = self.rows()
        assert len({r.user_id for r in rows}) == len(rows)
        for r in rows:
            assert (r.status == "going") == (r.ticket_token is not None)
        tokens = [r.ticket_token for r in rows if r.ticket_token]
        assert len(set(tokens)) == len(tokens)

    @invariant()
    def waitlist_is_fcfs_and_no_seat_is_left_free(self):
        rows = self.rows()
        line = [r for r in rows if r.status == "waitlisted"]
        assert [seats.waitlist_position(r) for r in line] == list(range(1, len(line) + 1))
        if line:
            going = sum(r.status == "going" for r in rows)
            assert self.event.capacity is not None and going >= self.event.capacity


def test_rsvp_state_machine(app):
    run_state_machine_as_test(
        RsvpMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
