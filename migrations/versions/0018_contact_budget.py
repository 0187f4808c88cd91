"""contact budget: at most `contact_budget` outreaches per customer in `contact_budget_days`, across agents; quiet
hours per channel on the customer's clock (`quiet_hours`, `customer.time_zone`); an outreach held back says why
(`held_reason`)

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("location") as batch_op:
        batch_op.add_column(sa.Column("contact_budget", sa.Integer(), nullable=False, server_default="3"))
        batch_op.add_column(sa.Column("contact_budget_days", sa.Integer(), nullable=False, server_default="7"))
        batch_op.add_column(sa.Column("quiet_hours", sa.JSON(), nullable=True))
    with op.batch_alter_table("customer") as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(), nullable=True))
    with op.batch_alter_table("proposed_action") as batch_op:
        batch_op.add_column(sa.Column("held_reason", sa.String(), nullable=True))
        # The claims of one customer, counted against their contact budget at every check before a send.
        batch_op.create_index("ix_proposed_action_customer_claims", ["customer_id", "delivery_claimed_at"])


def downgrade() -> None:
    with op.batch_alter_table("proposed_action") as batch_op:
        batch_op.drop_index("ix_proposed_action_customer_claims")
        batch_op.drop_column("held_reason")
    with op.batch_alter_table("customer") as batch_op:
        batch_op.drop_column("time_zone")
    with op.batch_alter_table("location") as batch_op:
        batch_op.drop_column("quiet_hours")
        batch_op.drop_column("contact_budget_days")
        batch_op.drop_column("contact_budget")
