"""rsvps: on PostgreSQL, joining the waitlist of a full event takes a shared lock

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:05:00

Once an event is full, most answers of a burst only join the waitlist, and each took the
event's exclusive lock in turn. Joining the waitlist changes no seat: it only needs the
seats to stay as they are until it commits, which a shared lock (FOR SHARE) guarantees,
since everything that takes or frees a seat, moves the line or changes the capacity takes
the exclusive one (FOR UPDATE). So waitlist joins run side by side, and seat changes still
one at a time, after them.

`p_share_if_full`: take the shared lock when the event looks full (as last committed, before
any lock) and the person has no RSVP yet. The returned `shared` says which lock is held; the
seats are counted after it was granted, as before. If they show a free seat after all (one
was freed in between), the answer may not take it under a shared lock: the caller starts
over with the exclusive one (services/events/, NeedsExclusiveLock). A shared lock is never
turned into an exclusive one: two holders doing so at once would deadlock.

Both are taken by event_lock(), which every lock of an event goes through (lock_event() in
services/events/locking.py too): first an advisory lock on (1, event id), shared or exclusive, then
the row lock. A row lock lets a shared request pass an exclusive one that waits, so a steady
stream of waitlist joins could hold back a cancellation for as long as the stream lasts;
advisory locks are granted in turn, so later shared requests wait behind it.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

EVENT_LOCK = """
CREATE FUNCTION event_lock(p_event integer, p_shared boolean) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF p_shared THEN
        PERFORM pg_advisory_xact_lock_shared(1, p_event);
        PERFORM 1 FROM events WHERE id = p_event FOR SHARE;
    ELSE
        PERFORM pg_advisory_xact_lock(1, p_event);
        PERFORM 1 FROM events WHERE id = p_event FOR UPDATE;
    END IF;
END
$$
"""

FUNCTION = """
CREATE FUNCTION rsvp_seats_locked(
    p_event integer, p_user integer, p_lock boolean, p_share_if_full boolean
)
RETURNS TABLE (
    capacity integer,
    going bigint,
    starts_at timestamp,
    rsvp_deadline timestamp,
    cancelled_at timestamp,
    sequence integer,
    mine integer,
    new_id integer,
    shared boolean
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    v_shared boolean := false;
BEGIN
    IF p_lock AND p_share_if_full THEN
        SELECT e.capacity IS NOT NULL
               AND (SELECT count(r.id) FROM rsvps r
                     WHERE r.event_id = p_event AND r.status = 'going') >= e.capacity
               AND NOT EXISTS (SELECT 1 FROM rsvps m
                                WHERE m.event_id = p_event AND m.user_id = p_user)
          INTO v_shared
          FROM events e
         WHERE e.id = p_event;
        v_shared := coalesce(v_shared, false);
    END IF;
    IF p_lock THEN
        PERFORM event_lock(p_event, v_shared);
    END IF;
    -- A statement of its own, so it reads every seat committed before the lock was granted.
    RETURN QUERY
        SELECT e.capacity,
               (SELECT count(r.id) FROM rsvps r
                 WHERE r.event_id = p_event AND r.status = 'going'),
               e.starts_at, e.rsvp_deadline, e.cancelled_at, e.sequence,
               m.id,
               CASE WHEN m.id IS NULL
                    THEN nextval(pg_get_serial_sequence('rsvps', 'id'))::integer END,
               v_shared
          FROM events e
          LEFT JOIN rsvps m ON m.event_id = p_event AND m.user_id = p_user
         WHERE e.id = p_event;
END
$$
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION rsvp_seats_locked(integer, integer, boolean)")
        op.execute(EVENT_LOCK)
        op.execute(FUNCTION)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION rsvp_seats_locked(integer, integer, boolean, boolean)")
        op.execute("DROP FUNCTION event_lock(integer, boolean)")
        previous = op.get_context().script.get_revision("0006").module
        op.execute(previous.FUNCTION)
