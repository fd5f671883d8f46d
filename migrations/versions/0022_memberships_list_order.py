"""memberships.sort_rank and sort_name, indexed: the member list a page at a time

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-06 08:30:00

Each membership holds its place in the group's member list (organizers, co-organizers, then
members; named people by name, then the others by email), so a page is read in order from an
index instead of sorting every member on each page. Filled in for existing rows here.
A partial index holds those other members see (imported people once they joined or RSVPed).
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0020"
branch_labels = None
depends_on = None

_RANKS = {"organizer": 0, "co_organizer": 1}
SHOWN_TO_MEMBERS = "memberships.source != 'import' OR memberships.active_at IS NOT NULL"


def upgrade():
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("sort_rank", sa.Integer(), nullable=False, server_default="5"))
        batch.add_column(
            sa.Column("sort_name", sa.String(254), nullable=False, server_default="")
        )
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT memberships.id, memberships.role, users.name, users.email "
            "FROM memberships JOIN users ON users.id = memberships.user_id"
        )
    ).all()
    values = [
        {
            "row_id": row_id,
            "rank": _RANKS.get(role, 2) * 2 + (0 if name else 1),
            "sort_name": (name.lower() if name else email.lower())[:254],
        }
        for row_id, role, name, email in rows
    ]
    update = sa.text(
        "UPDATE memberships SET sort_rank = :rank, sort_name = :sort_name WHERE id = :row_id"
    )
    for start in range(0, len(values), 5000):
        conn.execute(update, values[start : start + 5000])
    columns = ["group_id", "sort_rank", "sort_name", "user_id"]
    op.create_index("ix_memberships_list", "memberships", columns)
    shown = sa.text(SHOWN_TO_MEMBERS)  # those other members see: a partial index
    op.create_index(
        "ix_memberships_shown", "memberships", columns, sqlite_where=shown, postgresql_where=shown
    )


def downgrade():
    op.drop_index("ix_memberships_shown", table_name="memberships")
    op.drop_index("ix_memberships_list", table_name="memberships")
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("sort_name")
        batch.drop_column("sort_rank")
