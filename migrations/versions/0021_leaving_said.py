"""a customer's word that they are leaving, said in a conversation: for a while no agent nudges, offers or follows
them up

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer") as batch_op:
        batch_op.add_column(sa.Column("leaving_said_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customer") as batch_op:
        batch_op.drop_column("leaving_said_at")
