"""events.requires_approval, events.hide_address: the organizer approves each RSVP

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 08:00:00

Off for every event before. RSVP rows gain two statuses, `requested` and `declined`: the
status column is a plain string, so no change to it is needed.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column("requires_approval", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("hide_address", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("events") as batch:
        batch.drop_column("hide_address")
        batch.drop_column("requires_approval")
