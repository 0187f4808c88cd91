"""team agents: a proposal about no one customer (an FAQ article for the team to publish, a ranked list of members
or leads), why an escalation's ticket was opened, and the team agents set up at every location

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The team agents this revision adds, with the threshold (days looked back) each starts with.
NEW_AGENTS = {"faq_gap": 30, "cancellation_risk": 90, "lead_scoring": 30}


def _customer_required(required: bool) -> None:
    """SQLite changes a column by copying the table, which drops its triggers (the inbox counts' of 0006): they are
    read before and made again after."""
    bind = op.get_bind()
    triggers = []
    if bind.dialect.name == "sqlite":
        found = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'proposed_action'"
        triggers = [row[0] for row in bind.execute(sa.text(found))]
    with op.batch_alter_table("proposed_action") as batch_op:
        batch_op.alter_column("customer_id", existing_type=sa.String(), nullable=not required)
    for trigger in triggers:
        op.execute(trigger)


def upgrade() -> None:
    _customer_required(False)
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.add_column(sa.Column("escalation_reason", sa.String(length=32), nullable=True))
    columns = {"location_id": sa.String(), "agent_type": sa.String(), "threshold_days": sa.Integer(),
               "enabled": sa.Boolean(), "auto_execute": sa.Boolean(), "confidence_threshold": sa.Integer(),
               "cooldown_days": sa.Integer(), "daily_max": sa.Integer(), "expiry_hours": sa.Integer(),
               "default_channel": sa.String(), "enforce_business_hours": sa.Boolean(),
               "custom_instructions": sa.String()}  # fmt: skip
    config = sa.table("agentconfig", *(sa.column(name, kind) for name, kind in columns.items()))
    # A team agent's proposals are created for the team, never sent: its channel is the team's.
    defaults = {"enabled": True, "auto_execute": False, "confidence_threshold": 90, "cooldown_days": 14,
                "daily_max": 50, "expiry_hours": 72, "default_channel": "team", "enforce_business_hours": False,
                "custom_instructions": ""}  # fmt: skip
    locations = [row[0] for row in op.get_bind().execute(sa.text("SELECT id FROM location"))]
    if locations:
        op.bulk_insert(config, [{"location_id": location, "agent_type": agent, "threshold_days": days, **defaults}
                                for location in locations for agent, days in NEW_AGENTS.items()])  # fmt: skip


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM agentconfig WHERE agent_type IN ('faq_gap', 'cancellation_risk', 'lead_scoring')"))
    op.execute(sa.text("DELETE FROM timeline_entry WHERE proposed_action_id IN "
                       "(SELECT id FROM proposed_action WHERE customer_id IS NULL)"))  # fmt: skip
    op.execute(sa.text("DELETE FROM proposed_action WHERE customer_id IS NULL"))
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.drop_column("escalation_reason")
    _customer_required(True)

