"""Tickets, history, attachments, the event outbox, the mail queue, session codes.

Revision ID: 0001
Revises:
Create Date: 2025-05-01

The schema of the hand-rolled ``schema_version`` 1 (mail without ``sealed``,
which 0003 adds); written out here so later changes to assistant/db.py never
change what this revision creates.
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def delivery_columns() -> list[sa.Column]:
    """The retry bookkeeping shared by the event outbox and the mail queue."""
    return [
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("retry_from", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", sa.DateTime()),
        sa.Column("claim", sa.String(32)),
        sa.Column("last_error", sa.Text()),
        sa.Column("dead_at", sa.DateTime()),
    ]


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(9), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("email", sa.String(254), nullable=False, index=True),
        sa.Column("name", sa.String(200)),
        sa.Column("supplier_name", sa.String(200)),
        sa.Column("supplier_number", sa.String(64)),
        sa.Column("country", sa.String(2)),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("category", sa.String(64)),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("refs", sa.JSON(), nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("resolution", sa.String(20)),
        sa.Column("question", sa.Text()),
        sa.Column("detected_lang", sa.String(8)),
        sa.Column("articles_tried", sa.JSON(), nullable=False),
        sa.Column("previous_number", sa.String(9)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("solution_proposed_at", sa.DateTime()),
        sa.Column("closed_at", sa.DateTime()),
    )
    op.create_table(
        "ticket_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("status_from", sa.String(20)),
        sa.Column("status_to", sa.String(20), nullable=False),
        sa.Column("message", sa.Text()),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("stored_name", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="SET NULL"), index=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("done", sa.JSON(), nullable=False),
        sa.Column("delivered_at", sa.DateTime()),
        *delivery_columns(),
    )
    op.create_table(
        "mail",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("to_addr", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="SET NULL"), index=True),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("kept_at", sa.DateTime()),
        *delivery_columns(),
    )
    op.create_table(
        "session_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, index=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("session_codes", "mail", "outbox", "attachments", "ticket_history", "tickets"):
        op.drop_table(table)
