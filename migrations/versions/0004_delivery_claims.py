"""delivery claims: the last safeguard check claims the delivery in the same transaction, and cooldowns,
the minimum gap and the daily maximum count claims instead of deliveries

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("proposed_action") as batch_op:
        batch_op.add_column(sa.Column("delivery_claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_proposed_action_claims", ["location_id", "agent_type", "delivery_claimed_at"], unique=False
        )
    # Outreaches delivered before claims existed keep counting towards cooldowns and today's maximum.
    op.execute("UPDATE proposed_action SET delivery_claimed_at = sent_at WHERE sent_at IS NOT NULL")
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_index("ix_delivery_agent_day")
        batch_op.drop_index("ix_delivery_customer_at")


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.create_index("ix_delivery_agent_day", ["location_id", "agent_type", "created_at"], unique=False)
        batch_op.create_index("ix_delivery_customer_at", ["customer_id", "created_at"], unique=False)
    with op.batch_alter_table("proposed_action") as batch_op:
        batch_op.drop_index("ix_proposed_action_claims")
        batch_op.drop_column("delivery_claimed_at")
