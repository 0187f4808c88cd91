"""replies come home: every inbound mail kept (matched or not) with its attachments, how far each mailbox
folder has been read, timeline entries linked to the mail they came in, deliveries found by Message-ID

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    with op.batch_alter_table("timeline_entry") as batch_op:
        batch_op.add_column(sa.Column("inbound_message_id", sa.String(), nullable=True))
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.create_index("ix_delivery_message_id", ["message_id"])
    with op.batch_alter_table("email_account") as batch_op:
        batch_op.add_column(sa.Column("imap_security", _enum("starttls", "ssl", "none", name="smtpsecurity"),
                                      nullable=False, server_default="ssl"))  # fmt: skip
        batch_op.add_column(sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sync_error", sa.String(), nullable=True))
    op.create_table(
        "inbound_message",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("email_account_id", sa.String(), nullable=True),
        sa.Column("location_id", sa.String(), nullable=True),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("sender", sa.String(), nullable=False),
        sa.Column("sender_name", sa.String(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=True),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("references", sa.JSON(), nullable=True),
        sa.Column("kind", _enum("reply", "auto_reply", "bounce", "team_reply", name="inboundkind"), nullable=False),
        sa.Column("status", _enum("received", "routed", "unmatched", name="inboundstatus"), nullable=False),
        sa.Column("problem", sa.String(), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("reply", sa.String(), nullable=False),
        sa.Column("proposed_action_id", sa.String(), nullable=True),
        sa.Column("conversation_id", sa.String(), nullable=True),
        sa.Column("delivery_id", sa.String(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["email_account_id"], ["email_account.id"]),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"]),
        sa.ForeignKeyConstraint(["proposed_action_id"], ["proposed_action.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("location_id", "message_id", "status", "proposed_action_id", "received_at"):
        op.create_index(f"ix_inbound_message_{column}", "inbound_message", [column])
    op.create_table(
        "inbound_attachment",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("inbound_message_id", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["inbound_message_id"], ["inbound_message.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inbound_attachment_inbound_message_id", "inbound_attachment", ["inbound_message_id"])
    op.create_table(
        "mailbox_folder",
        sa.Column("email_account_id", sa.String(), nullable=False),
        sa.Column("folder", sa.String(), nullable=False),
        sa.Column("uid_validity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["email_account_id"], ["email_account.id"]),
        sa.PrimaryKeyConstraint("email_account_id", "folder"),
    )


def downgrade() -> None:
    op.drop_table("mailbox_folder")
    op.drop_table("inbound_attachment")
    op.drop_table("inbound_message")
    with op.batch_alter_table("email_account") as batch_op:
        for column in ("sync_error", "synced_at", "imap_security"):
            batch_op.drop_column(column)
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_index("ix_delivery_message_id")
    with op.batch_alter_table("timeline_entry") as batch_op:
        batch_op.drop_column("inbound_message_id")
