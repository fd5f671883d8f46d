"""groups.rsvp_digest: a daily email to organizers of new RSVPs, cancellations and the waitlist

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 06:10:00

Off by default; sent only on days when something changed.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("groups") as batch:
        batch.add_column(
            sa.Column("rsvp_digest", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("rsvp_digest")
