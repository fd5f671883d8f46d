"""rsvps: the event/status index also holds checked_in_at, for the door counter

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 16:30:00

"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD = ["event_id", "status", "requested_at"]
NEW = [*OLD, "checked_in_at"]


def upgrade():
    # Every scan answers with "checked in / going": with checked_in_at in the index that
    # count reads the index alone instead of one table row per guest.
    op.drop_index("ix_rsvps_event_status", table_name="rsvps")
    op.create_index("ix_rsvps_event_status", "rsvps", NEW)


def downgrade():
    op.drop_index("ix_rsvps_event_status", table_name="rsvps")
    op.create_index("ix_rsvps_event_status", "rsvps", OLD)
