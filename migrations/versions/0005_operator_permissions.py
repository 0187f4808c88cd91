"""operator permissions: what an operator may change at its locations

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("operator") as batch_op:
        batch_op.add_column(sa.Column("permissions", sa.JSON(), nullable=True))
    # Operators created before permissions existed could change everything at their locations; they still can.
    operator = sa.table("operator", sa.column("permissions", sa.JSON()))
    op.execute(operator.update().values(permissions=["agentConfig", "proposedAction"]))


def downgrade() -> None:
    with op.batch_alter_table("operator") as batch_op:
        batch_op.drop_column("permissions")
