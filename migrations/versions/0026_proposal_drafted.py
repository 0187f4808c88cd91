"""the draft as the AI composed it, kept beside the one the team edits

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Not in batch mode: SQLite would copy the table and lose its expression indexes (the inbox's attention order);
# both databases add and drop a column in place.
def upgrade() -> None:
    op.add_column("proposed_action", sa.Column("drafted", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("proposed_action", "drafted")
