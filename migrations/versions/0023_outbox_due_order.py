"""outbox: the due index holds the claim's whole order (status, next_attempt_at, id)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 11:20:00

A worker claims the 50 oldest due messages. When an announcement queues 50,000 messages at
the same moment, ordering them by (next_attempt_at, id) from an index on (status,
next_attempt_at) meant sorting all 50,000 for each batch of 50; with id in the index the
batch is read in order and the scan stops after 50 rows.
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at", "id"])


def downgrade():
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])
