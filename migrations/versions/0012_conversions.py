"""conversions: an outreach's purpose achieved (an invoice paid, a booking made, a contract renewed, a lead turned
member), linked to the proposal it followed

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversion",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("kind", sa.Enum("invoice_paid", "booking_made", "contract_renewed", "lead_converted",
                                  name="conversionkind", native_enum=False, length=32), nullable=False),  # fmt: skip
        sa.Column("location_id", sa.String(), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=False),
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=True),
        sa.Column("proposed_action_id", sa.String(), nullable=True),
        sa.Column("conversation_id", sa.String(), nullable=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"]),
        sa.ForeignKeyConstraint(["proposed_action_id"], ["proposed_action.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("location_id", "customer_id", "proposed_action_id"):
        op.create_index(f"ix_conversion_{column}", "conversion", [column])


def downgrade() -> None:
    op.drop_table("conversion")
