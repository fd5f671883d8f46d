"""rsvps.intents and users.declined_intents: the intents people confirm or untick as chips

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 02:00:00

rsvps.intents is NULL until someone answers with the chips shown (then
{"looking": [...], "offer": [...], "declined": [...]}: the tags ticked, and those we read
in their words that they unticked). users.declined_intents is the same "declined" for the
profile. Existing rows keep NULL: what their words say counts, as before the chips.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rsvps") as batch:
        batch.add_column(sa.Column("intents", sa.JSON(), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("declined_intents", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("declined_intents")
    with op.batch_alter_table("rsvps") as batch:
        batch.drop_column("intents")
