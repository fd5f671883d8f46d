"""outbox notices: messages written by the worker when first sent

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 07:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite can't change a column's nullability in place.
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("notice", sa.JSON(), nullable=True))
        batch.alter_column("body_text", existing_type=sa.Text(), nullable=True)
        batch.alter_column("body_html", existing_type=sa.Text(), nullable=True)


def downgrade():
    # Notices not written yet can't become bodies here: they are dropped with the column.
    op.execute("DELETE FROM outbox WHERE body_text IS NULL OR body_html IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("body_html", existing_type=sa.Text(), nullable=False)
        batch.alter_column("body_text", existing_type=sa.Text(), nullable=False)
        batch.drop_column("notice")
