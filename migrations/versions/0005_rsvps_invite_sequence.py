"""rsvps: a per-person invite sequence, so one person's seat no longer raises the event's

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 19:10:00

Existing rows start at 0: every invite sent so far carried at most the event's current
sequence, and the next one sent carries more (the event's, plus a raised count of 1 at
least, or the event's once raised by a change of time or place).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rsvps") as batch:
        batch.add_column(
            sa.Column("invite_sequence", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade():
    with op.batch_alter_table("rsvps") as batch:
        batch.drop_column("invite_sequence")
