"""Each mail keeps its Message-ID and the one it answers, so a ticket's mails form one thread (assistant/notifications.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

``message_id`` is drawn when the mail is queued, so a retry re-sends the same
one and a supplier's reply (In-Reply-To, References) leads back to the row and
its ticket; ``in_reply_to`` is the Message-ID of the ticket's first mail, its
confirmation.  Rows queued before this revision have neither: the ones not yet
sent get a Message-ID when the app starts.
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    columns = {column["name"] for column in inspector.get_columns("mail")}
    for name in ("message_id", "in_reply_to"):
        if name not in columns:  # a database stamped back to an older revision keeps what it has
            op.add_column("mail", sa.Column(name, sa.String(255)))
    if "ix_mail_message_id" not in {index["name"] for index in inspector.get_indexes("mail")}:
        op.create_index("ix_mail_message_id", "mail", ["message_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_mail_message_id", table_name="mail")
    with op.batch_alter_table("mail") as batch:
        batch.drop_column("in_reply_to")
        batch.drop_column("message_id")
