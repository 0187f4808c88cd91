"""the conversation's steps on its timeline: the tool an AI used, and the help-desk ticket an escalation opened
(or a later message was passed to)

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("timeline_entry") as batch_op:
        batch_op.add_column(sa.Column("tool", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("ticket_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("timeline_entry") as batch_op:
        batch_op.drop_column("ticket_id")
        batch_op.drop_column("tool")
