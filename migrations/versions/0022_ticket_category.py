"""a help-desk ticket's category, tickets the team opens for itself (no requester), and the category spike agent set
up at every location

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AGENT, THRESHOLD_DAYS = "category_spike", 56


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.add_column(sa.Column("category", sa.String(length=40), nullable=True))
        batch_op.alter_column("requester_id", existing_type=sa.String(), nullable=True)
        batch_op.create_index("ix_ticket_location_created", ["location_id", "created_at"])
    columns = {"location_id": sa.String(), "agent_type": sa.String(), "threshold_days": sa.Integer(),
               "enabled": sa.Boolean(), "auto_execute": sa.Boolean(), "confidence_threshold": sa.Integer(),
               "cooldown_days": sa.Integer(), "daily_max": sa.Integer(), "expiry_hours": sa.Integer(),
               "default_channel": sa.String(), "enforce_business_hours": sa.Boolean(),
               "custom_instructions": sa.String()}  # fmt: skip
    config = sa.table("agentconfig", *(sa.column(name, kind) for name, kind in columns.items()))
    locations = [row[0] for row in op.get_bind().execute(sa.text("SELECT id FROM location"))]
    if locations:
        op.bulk_insert(config, [{"location_id": location, "agent_type": AGENT, "threshold_days": THRESHOLD_DAYS,
                                 "enabled": True, "auto_execute": False, "confidence_threshold": 90,
                                 "cooldown_days": 14, "daily_max": 50, "expiry_hours": 72, "default_channel": "team",
                                 "enforce_business_hours": False, "custom_instructions": ""}
                                for location in locations])  # fmt: skip


def downgrade() -> None:
    op.execute(sa.text(f"DELETE FROM agentconfig WHERE agent_type = '{AGENT}'"))
    op.execute(sa.text("DELETE FROM timeline_entry WHERE proposed_action_id IN "
                       f"(SELECT id FROM proposed_action WHERE agent_type = '{AGENT}')"))  # fmt: skip
    op.execute(sa.text(f"DELETE FROM proposed_action WHERE agent_type = '{AGENT}'"))
    op.execute(sa.text("DELETE FROM ticket_comment WHERE ticket_id IN "
                       "(SELECT id FROM ticket WHERE requester_id IS NULL)"))  # fmt: skip
    op.execute(sa.text("DELETE FROM ticket WHERE requester_id IS NULL"))
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.drop_index("ix_ticket_location_created")
        batch_op.alter_column("requester_id", existing_type=sa.String(), nullable=False)
        batch_op.drop_column("category")
