"""who of the team took a conversation over from the AI

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversation") as batch_op:
        batch_op.add_column(sa.Column("taken_over_by", sa.String(), nullable=True))
        batch_op.create_foreign_key("fk_conversation_taken_over_by_operator", "operator", ["taken_over_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("conversation") as batch_op:
        batch_op.drop_constraint("fk_conversation_taken_over_by_operator", type_="foreignkey")
        batch_op.drop_column("taken_over_by")
