"""Group email: consent per member and group, undeliverable addresses, list headers, announcements

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 05:00:00

memberships: what each member accepts from the group (announcements, reminders,
introductions), when they unsubscribed, their answer to the welcome email, who imported them,
and when they joined or RSVPed themselves (an imported person is shown to other members only
from then). users: an address that hard-bounced gets no group email. outbox: which list a
group email belongs to (NULL: transactional) and its List-* headers. announcements: one row
per event and kind, with the progress of its queueing. imported_by_id names a user without a
foreign key: a second link between memberships and users would make every plain join of the
two ambiguous; a deleted organizer is simply not named.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("memberships") as batch:
        for name in ("mail_announcements", "mail_reminders", "mail_intros"):
            batch.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.true())
            )
        batch.add_column(sa.Column("unsubscribed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("welcome_answer", sa.String(10), nullable=True))
        batch.add_column(sa.Column("welcome_answered_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("active_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("imported_by_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("mail_undeliverable_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("mail_bounce", sa.String(300), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("list_kind", sa.String(20), nullable=True))
        batch.add_column(sa.Column("headers", sa.JSON(), nullable=True))
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column(
            "created_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")
        ),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("queued", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("event_id", "kind"),
    )
    op.create_index("ix_announcements_status", "announcements", ["status"])


def downgrade():
    op.drop_index("ix_announcements_status", table_name="announcements")
    op.drop_table("announcements")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("headers")
        batch.drop_column("list_kind")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("mail_bounce")
        batch.drop_column("mail_undeliverable_at")
    with op.batch_alter_table("memberships") as batch:
        for name in (
            "imported_by_id",
            "active_at",
            "welcome_answered_at",
            "welcome_answer",
            "unsubscribed_at",
            "mail_intros",
            "mail_reminders",
            "mail_announcements",
        ):
            batch.drop_column(name)
