"""events.followup_thanks / followup_missed and event_feedback: follow-ups by attendance

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 06:00:00

Per event, off by default: a "thanks for coming" to those who came, with a link to rate the
event (1 to 5) and say something, and a "sorry we missed you" to no-shows. event_feedback
keeps one answer per person and event; organizers see it only in aggregate, without names.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column("followup_thanks", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("followup_missed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "event_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("events.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("event_id", "user_id"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )


def downgrade():
    op.drop_table("event_feedback")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("followup_missed")
        batch.drop_column("followup_thanks")
