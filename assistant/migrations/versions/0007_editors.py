"""Named editors: an account per person with an Argon2id password hash and a role (assistant/editors/accounts.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "editors" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "editors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("disabled_at", sa.DateTime()),
    )


def downgrade() -> None:
    op.drop_table("editors")
