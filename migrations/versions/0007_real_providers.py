"""real providers: delivery states before and after the provider's answer, provider ids, applied webhook events,
and how a location's AI email and calls present themselves

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


DELIVERY_STATUS = _enum("sending", "sent", "delivered", "bounced", "dropped", "failed", "unknown",
                        name="deliverystatus")  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("location") as batch_op:
        batch_op.add_column(sa.Column("ai_sender_email", sa.String(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("call_voice", sa.String(), nullable=False, server_default="Polly.Joanna"))
        batch_op.add_column(sa.Column("call_language", sa.String(), nullable=False, server_default="en-US"))
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.alter_column("status", type_=DELIVERY_STATUS, existing_type=sa.String(), existing_nullable=False)
        batch_op.add_column(sa.Column("status_detail", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("provider_message_id", sa.String(), nullable=True))
        batch_op.create_index("ix_delivery_provider_message_id", ["provider_message_id"])
    with op.batch_alter_table("proposed_action") as batch_op:
        batch_op.add_column(sa.Column("send_from", sa.String(), nullable=True))
    op.create_table(
        "email_account",
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("preset", _enum("google_workspace", "office365", "generic", name="emailpreset"), nullable=False),
        sa.Column("smtp_host", sa.String(), nullable=False),
        sa.Column("smtp_port", sa.Integer(), nullable=False),
        sa.Column("smtp_security", _enum("starttls", "ssl", "none", name="smtpsecurity"), nullable=False),
        sa.Column("imap_host", sa.String(), nullable=False),
        sa.Column("imap_port", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("secret_ref", sa.String(), nullable=False),
        sa.Column("syncing", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("location_id", sa.String(), nullable=False),
        sa.Column("status", _enum("connected", "disconnected", "error", name="emailaccountstatus"), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("tested_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("email_account") as batch_op:
        batch_op.create_index("ix_email_account_location_id", ["location_id"])
    op.create_table(
        "provider_event",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("delivery_id", sa.String(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("provider_event")
    op.drop_table("email_account")
    with op.batch_alter_table("proposed_action") as batch_op:
        batch_op.drop_column("send_from")
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_index("ix_delivery_provider_message_id")
        batch_op.drop_column("provider_message_id")
        batch_op.drop_column("status_detail")
        batch_op.alter_column("status", type_=sa.String(), existing_type=DELIVERY_STATUS, existing_nullable=False)
    with op.batch_alter_table("location") as batch_op:
        batch_op.drop_column("call_language")
        batch_op.drop_column("call_voice")
        batch_op.drop_column("ai_sender_email")
