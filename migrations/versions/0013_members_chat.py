"""members' chat: a conversation the customer started has no proposal, so neither have its timeline entries nor
the team's emails that answer its ticket

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AGENT_TYPE = sa.Enum("due_invoice", "contract_renewal", "lead_follow_up", "first_booking", name="agenttype",
                     native_enum=False, length=32)  # fmt: skip


def upgrade() -> None:
    for table in ("conversation", "timeline_entry", "delivery"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("proposed_action_id", existing_type=sa.String(), nullable=True)
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.alter_column("agent_type", existing_type=AGENT_TYPE, nullable=True)


def downgrade() -> None:
    # Rows of the members' chat have no proposal to point to: they go with the columns' constraint.
    op.execute("DELETE FROM delivery WHERE proposed_action_id IS NULL")
    op.execute("DELETE FROM timeline_entry WHERE proposed_action_id IS NULL")
    op.execute("DELETE FROM conversation WHERE proposed_action_id IS NULL")
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.alter_column("agent_type", existing_type=AGENT_TYPE, nullable=False)
    for table in ("conversation", "timeline_entry", "delivery"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("proposed_action_id", existing_type=sa.String(), nullable=False)
