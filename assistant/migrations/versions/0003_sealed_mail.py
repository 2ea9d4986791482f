"""Mail bodies become Fernet tokens: rows already there are marked clear text (``notifications`` seals them).

Revision ID: 0003
Revises: 0002
Create Date: 2025-07-01

The hand-rolled ``schema_version`` 3.  A database that scheme created after
this change got the column with the table, so it is only added when missing.
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("mail")}
    if "sealed" not in columns:
        op.add_column("mail", sa.Column("sealed", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("mail") as batch:
        batch.drop_column("sealed")
