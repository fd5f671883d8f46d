"""rsvps.channel and memberships.channel: the first channel someone came through

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 05:00:00

A lowercase label such as "slack-general", "email" or "share", read from the `?via=` of the
link they followed. NULL for everything before, and for anyone who came without one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rsvps") as batch:
        batch.add_column(sa.Column("channel", sa.String(40), nullable=True))
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("channel", sa.String(40), nullable=True))


def downgrade():
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("channel")
    with op.batch_alter_table("rsvps") as batch:
        batch.drop_column("channel")
