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

DELIVERY_STATUS = sa.Enum(
    "sending", "sent", "delivered", "bounced", "dropped", "failed", "unknown",
    name="deliverystatus", native_enum=False, length=32,
)  # fmt: skip


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
    op.create_table(
        "provider_event",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("delivery_id", sa.String(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("provider_event")
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_index("ix_delivery_provider_message_id")
        batch_op.drop_column("provider_message_id")
        batch_op.drop_column("status_detail")
        batch_op.alter_column("status", type_=sa.String(), existing_type=DELIVERY_STATUS, existing_nullable=False)
    with op.batch_alter_table("location") as batch_op:
        batch_op.drop_column("call_language")
        batch_op.drop_column("call_voice")
        batch_op.drop_column("ai_sender_email")
