"""series and series_followers; events.series_id, series_index, series_detached

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 05:15:00

A series holds a rule and a template; its occurrences are ordinary events that point back
to it with their index in the rule (unique per series, so a date is created once however
often the worker passes) and a flag set when one was edited on its own.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(32), nullable=False, unique=True),
        sa.Column(
            "group_id", sa.Integer(), sa.ForeignKey("groups.id", ondelete="CASCADE"),
            nullable=False, index=True,
        ),
        sa.Column("frequency", sa.String(20), nullable=False),
        sa.Column("first_start_local", sa.DateTime(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(), nullable=True),
        sa.Column(
            "created_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "series_followers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "series_id", sa.Integer(), sa.ForeignKey("series.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False, index=True,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("series_id", "user_id"),
    )
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("series_index", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("series_detached", sa.Boolean(), nullable=False, server_default="0")
        )
        batch.create_foreign_key(
            "fk_events_series_id_series", "series", ["series_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_events_series_id", ["series_id"])
        batch.create_unique_constraint("uq_events_series_id_series_index", ["series_id", "series_index"])


def downgrade():
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint("uq_events_series_id_series_index", type_="unique")
        batch.drop_index("ix_events_series_id")
        batch.drop_constraint("fk_events_series_id_series", type_="foreignkey")
        batch.drop_column("series_detached")
        batch.drop_column("series_index")
        batch.drop_column("series_id")
    op.drop_table("series_followers")
    op.drop_table("series")
