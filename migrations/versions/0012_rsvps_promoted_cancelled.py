"""rsvps.promoted_at and rsvps.cancelled_at: the figures of the insights page

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 05:00:00

promoted_at: when someone on the waitlist was given a seat (the last time). cancelled_at: when
someone who held a seat said they can't go after all (cleared when they take a seat again), so
a late cancellation is one less than 24 hours before the start. Existing rows keep NULL.
ix_memberships_channel: the insights count a group's members per channel (source, invite link)
and by join date from the index alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rsvps") as batch:
        batch.add_column(sa.Column("promoted_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("cancelled_at", sa.DateTime(), nullable=True))
    op.create_index(
        "ix_memberships_channel",
        "memberships",
        ["group_id", "source", "invite_id", "joined_at"],
    )


def downgrade():
    op.drop_index("ix_memberships_channel", table_name="memberships")
    with op.batch_alter_table("rsvps") as batch:
        batch.drop_column("cancelled_at")
        batch.drop_column("promoted_at")
