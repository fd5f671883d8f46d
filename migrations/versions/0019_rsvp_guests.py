"""rsvp_guests: named plus-ones; seats become the sum of party sizes

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 08:00:00

An RSVP may bring named guests (events.max_guests, 0 by default). Each guest is a row of
rsvp_guests with their own ticket, check-in and introductions consent; the RSVP's
party_size (1 + its guests) is what a seat count sums, so a party is seated or waits whole.
The (event_id, status, ...) index gains party_size, so the sum reads from the index alone as
the count did. events.parties_may_pass lets a freed seat go to a smaller party behind a
larger one waiting first (off: first come, first served). checkin_log.guest_id names a
guest's ticket at the door.

PostgreSQL's rsvp_seats_locked() sums party sizes and also says whether anyone waits
(`waiting`): a party may not take free seats while another waits ahead of it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

OLD_INDEX = ("event_id", "status", "requested_at", "checked_in_at")

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
    waiting boolean,
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
               AND (SELECT coalesce(sum(r.party_size), 0) FROM rsvps r
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
               (SELECT coalesce(sum(r.party_size), 0)::bigint FROM rsvps r
                 WHERE r.event_id = p_event AND r.status = 'going'),
               e.starts_at, e.rsvp_deadline, e.cancelled_at, e.sequence,
               EXISTS (SELECT 1 FROM rsvps w
                        WHERE w.event_id = p_event AND w.status = 'waitlisted'),
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

DROP_FUNCTION = "DROP FUNCTION rsvp_seats_locked(integer, integer, boolean, boolean)"


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column("max_guests", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("parties_may_pass", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("rsvps") as batch:
        batch.add_column(sa.Column("party_size", sa.Integer(), nullable=False, server_default="1"))
    op.drop_index("ix_rsvps_event_status", table_name="rsvps")
    op.create_index("ix_rsvps_event_status", "rsvps", [*OLD_INDEX, "party_size"])
    op.create_table(
        "rsvp_guests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "rsvp_id", sa.Integer(), sa.ForeignKey("rsvps.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("events.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("ticket_token", sa.String(64), unique=True),
        sa.Column("checked_in_at", sa.DateTime()),
        sa.Column("checked_in_by", sa.String(120)),
        sa.Column("checkin_flagged", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("consent_token", sa.String(64), unique=True),
        sa.Column("looking_for", sa.Text(), nullable=False, server_default=""),
        sa.Column("can_offer", sa.Text(), nullable=False, server_default=""),
        sa.Column("intro_consent_at", sa.DateTime()),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_rsvp_guests_rsvp_id", "rsvp_guests", ["rsvp_id"])
    op.create_index("ix_rsvp_guests_event_id", "rsvp_guests", ["event_id"])
    with op.batch_alter_table("checkin_log") as batch:
        batch.add_column(sa.Column("guest_id", sa.Integer()))
        batch.create_foreign_key(
            "fk_checkin_log_guest_id", "rsvp_guests", ["guest_id"], ["id"], ondelete="SET NULL"
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_FUNCTION)
        op.execute(FUNCTION)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_FUNCTION)
        op.execute(op.get_context().script.get_revision("0007").module.FUNCTION)
    with op.batch_alter_table("checkin_log") as batch:
        batch.drop_constraint("fk_checkin_log_guest_id", type_="foreignkey")
        batch.drop_column("guest_id")
    op.drop_table("rsvp_guests")
    op.drop_index("ix_rsvps_event_status", table_name="rsvps")
    op.create_index("ix_rsvps_event_status", "rsvps", list(OLD_INDEX))
    with op.batch_alter_table("rsvps") as batch:
        batch.drop_column("party_size")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("parties_may_pass")
        batch.drop_column("max_guests")
