"""The editors' web editor: drafts of articles and each article's published revisions (assistant/editors/).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if "article_drafts" not in present:
        op.create_table(
            "article_drafts",
            sa.Column("article_id", sa.String(120), primary_key=True),
            sa.Column("content", sa.Text(), nullable=False),
            sa.Column("base_revision", sa.Integer()),
            sa.Column("saved_at", sa.DateTime(), nullable=False),
            sa.Column("saved_by", sa.String(120), nullable=False),
        )
    if "article_revisions" not in present:
        op.create_table(
            "article_revisions",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("article_id", sa.String(120), nullable=False),
            sa.Column("revision", sa.Integer(), nullable=False),
            sa.Column("content", sa.Text()),
            sa.Column("action", sa.String(16), nullable=False),
            sa.Column("knowledge_version", sa.String(32)),
            sa.Column("at", sa.DateTime(), nullable=False),
            sa.Column("by", sa.String(120), nullable=False),
            sa.Column("note", sa.Text()),
            sa.UniqueConstraint("article_id", "revision"),
        )


def downgrade() -> None:
    op.drop_table("article_revisions")
    op.drop_table("article_drafts")
