"""events.questions and rsvps.question_answers: an organizer's questions at RSVP

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 08:00:00

Both JSON, empty (NULL) for every event and RSVP before: the questions travel with the
event row and the answers with the RSVP row, so neither the RSVP nor the attendee list reads
anything more for them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("questions", sa.JSON(), nullable=True))
    with op.batch_alter_table("rsvps") as batch:
        batch.add_column(sa.Column("question_answers", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("rsvps") as batch:
        batch.drop_column("question_answers")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("questions")
