"""users.locale and groups.locale: the language a person and a group chose

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 05:00:00

users.locale is the person's saved language ("en", "fr"); NULL follows the group's language,
then the browser's. groups.locale is the group's language for its pages and emails; new groups
take their organizer's. Existing rows keep NULL: everything reads as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=8), nullable=True))
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("locale")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locale")
