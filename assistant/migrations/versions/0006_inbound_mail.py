"""Suppliers' mail comes in: stored raw before anything else, then matched to its ticket (assistant/tickets/mail/).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

``inbound_mail`` keeps each message sealed under MAIL_KEY, deduplicated by
Message-ID, with the retry bookkeeping of the other queues so that a message
stored by one process and not yet processed is taken up by any other after a
crash.  ``tickets.reference_sealed`` keeps the reference code sealed, so
every mail about a ticket can repeat it (the seed asks suppliers to reply
"keeping the subject, case number and reference code intact"); tickets
created before this revision have none.  ``ticket_history.via`` says that a
change arrived by email.
"""
from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "reference_sealed" not in {c["name"] for c in inspector.get_columns("tickets")}:
        op.add_column("tickets", sa.Column("reference_sealed", sa.Text()))
    if "via" not in {c["name"] for c in inspector.get_columns("ticket_history")}:
        op.add_column("ticket_history", sa.Column("via", sa.String(16)))
    if "inbound_mail" in inspector.get_table_names():
        return
    op.create_table(
        "inbound_mail",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dedup_key", sa.String(300), nullable=False, unique=True),
        sa.Column("message_id", sa.String(255)),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(40)),
        sa.Column("from_addr", sa.String(254)),
        sa.Column("subject", sa.String(300)),
        sa.Column("text", sa.Text()),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="SET NULL")),
        sa.Column("action", sa.String(32)),
        sa.Column("processed_at", sa.DateTime()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("retry_from", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", sa.DateTime()),
        sa.Column("claim", sa.String(32)),
        sa.Column("last_error", sa.Text()),
        sa.Column("dead_at", sa.DateTime()),
    )
    op.create_index("ix_inbound_mail_state", "inbound_mail", ["state"])
    op.create_index("ix_inbound_mail_ticket_id", "inbound_mail", ["ticket_id"])
    op.create_index("ix_inbound_mail_next_attempt_at", "inbound_mail", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("inbound_mail")
    with op.batch_alter_table("ticket_history") as batch:
        batch.drop_column("via")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("reference_sealed")
