"""space activity: check-ins, tours, whether a booking was attended and a payment reported on its way, as the
space's systems report them; the agents that watch them set up at every location

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The agents this revision adds, with the threshold each starts with (as the agent registry says when written).
NEW_AGENTS = {"tour_reminder": 1, "tour_no_show": 1, "booking_no_show": 1, "re_engagement": 14, "at_risk": 60,
              "upsell": 16}


def upgrade() -> None:
    op.create_table(
        "check_in",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("location_id", sa.String(), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_check_in_location_id", "check_in", ["location_id"])
    op.create_index("ix_check_in_customer_at", "check_in", ["customer_id", "at"])
    op.create_table(
        "tour",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("location_id", sa.String(), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Enum("scheduled", "attended", "no_show", "cancelled", name="tourstatus",
                                    native_enum=False, length=32), nullable=False),  # fmt: skip
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tour_customer_id", "tour", ["customer_id"])
    op.create_index("ix_tour_location_status_starts", "tour", ["location_id", "status", "starts_at"])
    with op.batch_alter_table("booking") as batch_op:
        batch_op.add_column(sa.Column("attended", sa.Boolean(), nullable=True))
    with op.batch_alter_table("invoice") as batch_op:
        batch_op.add_column(sa.Column("payment_reported_at", sa.DateTime(timezone=True), nullable=True))
    # Every location gets the new agents, enabled, with every other setting as a new agent's defaults: their
    # proposals wait for review like any agent's.
    columns = {"location_id": sa.String(), "agent_type": sa.String(), "threshold_days": sa.Integer(),
               "enabled": sa.Boolean(), "auto_execute": sa.Boolean(), "confidence_threshold": sa.Integer(),
               "cooldown_days": sa.Integer(), "daily_max": sa.Integer(), "expiry_hours": sa.Integer(),
               "default_channel": sa.String(), "enforce_business_hours": sa.Boolean(),
               "custom_instructions": sa.String()}  # fmt: skip
    config = sa.table("agentconfig", *(sa.column(name, kind) for name, kind in columns.items()))
    defaults = {"enabled": True, "auto_execute": False, "confidence_threshold": 90, "cooldown_days": 14,
                "daily_max": 50, "expiry_hours": 72, "default_channel": "ai_email", "enforce_business_hours": False,
                "custom_instructions": ""}  # fmt: skip
    locations = [row[0] for row in op.get_bind().execute(sa.text("SELECT id FROM location"))]
    if locations:
        op.bulk_insert(config, [{"location_id": location, "agent_type": agent, "threshold_days": days, **defaults}
                                for location in locations for agent, days in NEW_AGENTS.items()])  # fmt: skip


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM agentconfig WHERE agent_type IN ('tour_reminder', 'tour_no_show', "
                       "'booking_no_show', 're_engagement', 'at_risk', 'upsell')"))  # fmt: skip
    with op.batch_alter_table("invoice") as batch_op:
        batch_op.drop_column("payment_reported_at")
    with op.batch_alter_table("booking") as batch_op:
        batch_op.drop_column("attended")
    op.drop_index("ix_tour_location_status_starts", table_name="tour")
    op.drop_index("ix_tour_customer_id", table_name="tour")
    op.drop_table("tour")
    op.drop_index("ix_check_in_customer_at", table_name="check_in")
    op.drop_index("ix_check_in_location_id", table_name="check_in")
    op.drop_table("check_in")
