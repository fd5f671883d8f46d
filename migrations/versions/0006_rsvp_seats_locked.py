"""rsvps: on PostgreSQL, an RSVP's lock, seat count and new id in one call

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 05:40:00

An answer takes the event's row lock, then counts the seats. The count has to be a statement
of its own, begun once the lock is held: a statement reads the rows committed when it
began, and one begun before the lock was granted would miss the seat taken by the request
that held it. Sent as two statements, the lock was held for one more round trip to the
database, and in a burst every RSVP of the event queues on that lock. This function runs
both in one call, and draws the id of the person's row if they have none yet, so the row and
its email notice can be written in one statement too (services/events/).

`p_lock` false skips the lock: only the concurrency tests' negative control
(TESTING_SKIP_LOCKS) passes it. SQLite has no such functions and needs none: its writers
hold the database's write lock from BEGIN IMMEDIATE (meetup/database.py).
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE FUNCTION rsvp_seats_locked(p_event integer, p_user integer, p_lock boolean)
RETURNS TABLE (
    capacity integer,
    going bigint,
    starts_at timestamp,
    rsvp_deadline timestamp,
    cancelled_at timestamp,
    sequence integer,
    mine integer,
    new_id integer
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    IF p_lock THEN
        PERFORM 1 FROM events WHERE id = p_event FOR UPDATE;
    END IF;
    -- A statement of its own, so it reads every seat committed before the lock was granted.
    RETURN QUERY
        SELECT e.capacity,
               (SELECT count(r.id) FROM rsvps r
                 WHERE r.event_id = p_event AND r.status = 'going'),
               e.starts_at, e.rsvp_deadline, e.cancelled_at, e.sequence,
               m.id,
               CASE WHEN m.id IS NULL
                    THEN nextval(pg_get_serial_sequence('rsvps', 'id'))::integer END
          FROM events e
          LEFT JOIN rsvps m ON m.event_id = p_event AND m.user_id = p_user
         WHERE e.id = p_event;
END
$$
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION rsvp_seats_locked(integer, integer, boolean)")
