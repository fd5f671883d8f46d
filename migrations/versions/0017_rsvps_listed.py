"""rsvps.listed: whether someone going is shown by name and headline to other members

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 06:20:00

Off by default (and for every RSVP before): each person chooses on their RSVP.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rsvps") as batch:
        batch.add_column(
            sa.Column("listed", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("rsvps") as batch:
        batch.drop_column("listed")
