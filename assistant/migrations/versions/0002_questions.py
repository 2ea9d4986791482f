"""The question log and answer feedback, for the editors' reports.

Revision ID: 0002
Revises: 0001
Create Date: 2025-06-01

The hand-rolled ``schema_version`` 2.
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(24), nullable=False, unique=True),
        sa.Column("asked_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("detected_lang", sa.String(8)),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.String(120), index=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("index_version", sa.String(32), nullable=False),
        sa.Column("supplier_key", sa.String(32)),
        sa.Column("ticket_number", sa.String(9)),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("question_id", sa.Integer(), sa.ForeignKey("questions.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("helpful", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("questions")
