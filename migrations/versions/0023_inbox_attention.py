"""the inbox in the order that needs attention first (the most urgent, then the soonest to expire), read from an
index by status and by location and status

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As `models.tables.URGENCY_SQL` reads today: a migration keeps the expression it created.
URGENCY = "(CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 WHEN 'low' THEN 3 END)"


def upgrade() -> None:
    op.create_index("ix_proposed_action_status_attention", "proposed_action",
                    ["status", sa.text(URGENCY), "expires_at", "id"])  # fmt: skip
    op.create_index("ix_proposed_action_inbox_attention", "proposed_action",
                    ["location_id", "status", sa.text(URGENCY), "expires_at", "id"])  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_proposed_action_inbox_attention", table_name="proposed_action")
    op.drop_index("ix_proposed_action_status_attention", table_name="proposed_action")
