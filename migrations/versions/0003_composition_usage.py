"""composition: the location's personality and language; who wrote each draft, its fallback, risk notes,
tokens and cost

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("cost_usd", "completion_tokens", "prompt_tokens", "risk_notes", "fallback_reason", "composed_by")


def upgrade() -> None:
    with op.batch_alter_table("location") as batch_op:
        batch_op.add_column(sa.Column("persona_personality", sa.String(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("language", sa.String(), nullable=False, server_default="en"))
    with op.batch_alter_table("proposed_action") as batch_op:
        batch_op.add_column(sa.Column("composed_by", sa.String(), nullable=False, server_default="offline"))
        batch_op.add_column(sa.Column("fallback_reason", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("risk_notes", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("prompt_tokens", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("completion_tokens", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("cost_usd", sa.Float(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("proposed_action") as batch_op:
        for column in COLUMNS:
            batch_op.drop_column(column)
    with op.batch_alter_table("location") as batch_op:
        batch_op.drop_column("language")
        batch_op.drop_column("persona_personality")
