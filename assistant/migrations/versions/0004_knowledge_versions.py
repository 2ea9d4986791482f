"""Published knowledge versions, the one served, and who changed what (assistant/publishing.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Every replica with KNOWLEDGE_SOURCE=database polls ``knowledge_served`` and
loads the archive of the version it names from ``knowledge_versions``.  The
first version of publishing (before this revision) created the same tables
itself when they were missing, so a table already there is kept as it is.
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    for name, columns in TABLES.items():
        if name not in present:
            op.create_table(name, *columns())


def knowledge_versions() -> list:
    return [
        sa.Column("version", sa.String(32), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("archive", sa.LargeBinary(), nullable=False),
        sa.Column("index_format", sa.String(40), nullable=False),
        sa.Column("semantic", sa.Integer(), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by", sa.String(120), nullable=False),
        sa.Column("note", sa.Text()),
    ]


def knowledge_served() -> list:
    return [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.String(32), sa.ForeignKey("knowledge_versions.version"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(120), nullable=False),
    ]


def knowledge_changes() -> list:
    return [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False, index=True),
        sa.Column("by", sa.String(120), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("note", sa.Text()),
    ]


TABLES = {"knowledge_versions": knowledge_versions, "knowledge_served": knowledge_served,
          "knowledge_changes": knowledge_changes}  # in this order: knowledge_served refers to knowledge_versions


def downgrade() -> None:
    op.drop_table("knowledge_changes")
    op.drop_table("knowledge_served")
    op.drop_table("knowledge_versions")
