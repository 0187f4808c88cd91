"""hostile mail: a mail that could not be read, kept or routed is kept as `failed` with its raw bytes

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_message") as batch_op:
        batch_op.add_column(sa.Column("raw", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_message") as batch_op:
        batch_op.drop_column("raw")
