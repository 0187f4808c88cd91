"""safeguards and agent policy

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 07:26:09.970404
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AGENT_TYPE = sa.Enum(
    "due_invoice", "contract_renewal", "lead_follow_up", "first_booking", name="agenttype", native_enum=False, length=32
)
PRIORITY = sa.Enum("low", "normal", "high", "critical", name="priority", native_enum=False, length=32)


def upgrade() -> None:
    # Deliveries learn their customer and agent from the proposal they belong to.
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("agent_type", AGENT_TYPE, nullable=True))
    op.execute(
        "UPDATE delivery SET "
        "customer_id = (SELECT customer_id FROM proposed_action WHERE proposed_action.id = delivery.proposed_action_id), "
        "agent_type = (SELECT agent_type FROM proposed_action WHERE proposed_action.id = delivery.proposed_action_id)"
    )
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.alter_column("customer_id", existing_type=sa.String(), nullable=False)
        batch_op.alter_column("agent_type", existing_type=AGENT_TYPE, nullable=False)
        batch_op.create_index("ix_delivery_agent_day", ["location_id", "agent_type", "created_at"], unique=False)
        batch_op.create_index("ix_delivery_customer_at", ["customer_id", "created_at"], unique=False)
        batch_op.create_foreign_key("fk_delivery_customer_id_customer", "customer", ["customer_id"], ["id"])

    with op.batch_alter_table("location") as batch_op:
        batch_op.add_column(sa.Column("customer_min_gap_hours", sa.Integer(), nullable=False, server_default="48"))
        batch_op.add_column(sa.Column("detection_interval_minutes", sa.Integer(), nullable=True))

    with op.batch_alter_table("proposed_action") as batch_op:
        batch_op.add_column(sa.Column("voice_script", sa.String(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("confidence_reasons", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("priority", PRIORITY, nullable=False, server_default="normal"))
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("proposed_action") as batch_op:
        for column in ("cancel_reason", "rejected_at", "approved_at", "priority", "confidence_reasons", "voice_script"):
            batch_op.drop_column(column)
    with op.batch_alter_table("location") as batch_op:
        batch_op.drop_column("detection_interval_minutes")
        batch_op.drop_column("customer_min_gap_hours")
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_constraint("fk_delivery_customer_id_customer", type_="foreignkey")
        batch_op.drop_index("ix_delivery_customer_at")
        batch_op.drop_index("ix_delivery_agent_day")
        batch_op.drop_column("agent_type")
        batch_op.drop_column("customer_id")
