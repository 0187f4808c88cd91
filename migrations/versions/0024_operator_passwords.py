"""operators sign in as people: a password chosen from an admin's invitation (argon2id), wrong attempts counted,
and an API token only for the operators who have one

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("operator") as batch_op:
        batch_op.alter_column("token_hash", existing_type=sa.String(), nullable=True)
        batch_op.add_column(sa.Column("password_hash", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("operator") as batch_op:
        batch_op.alter_column("failed_sign_ins", server_default=None)
    op.create_table(
        "invitation",
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("operator_id", sa.String(), nullable=False),
        sa.Column("invited_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operator.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index(op.f("ix_invitation_operator_id"), "invitation", ["operator_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_invitation_operator_id"), table_name="invitation")
    op.drop_table("invitation")
    # An operator without an API token cannot be kept without one: it is given an unusable one (no one holds it).
    op.execute(sa.text("UPDATE operator SET token_hash = 'no-token-' || id WHERE token_hash IS NULL"))
    with op.batch_alter_table("operator") as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_sign_ins")
        batch_op.drop_column("password_hash")
        batch_op.alter_column("token_hash", existing_type=sa.String(), nullable=False)
