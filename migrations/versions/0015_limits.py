"""limits: what each client used of the members' chat's rate limits, every model call's cost (a location's
monthly budget, with an optional ceiling of its own), the conversation an AI booking was made in and when a
conversation last opened; and operator ids that two addresses cannot share

Revision ID: 0015
Revises: 0014
"""

import hashlib
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _slug(email: str) -> str:
    """The operator id before this revision: `a.b@x.com` and `a-b@x.com` both `a-b-x-com`."""
    return re.sub(r"[^a-z0-9]+", "-", email.lower()).strip("-")


def _operator_id(email: str) -> str:
    """The operator id from this revision on (models.operators.operator_id_for, kept here as it was written)."""
    return f"{_slug(email)[:40]}-{hashlib.sha256(email.lower().encode()).hexdigest()[:12]}"


def _rename_operators(*, forward: bool) -> None:
    operators = sa.table("operator", sa.column("id", sa.String()), sa.column("email", sa.String()))
    connection = op.get_bind()
    taken = {row.id for row in connection.execute(sa.select(operators.c.id))}
    for row in connection.execute(sa.select(operators.c.id, operators.c.email)).all():
        old, new = _slug(row.email), _operator_id(row.email)
        if not forward:
            old, new = new, old
        # Only ids derived from the address (not `dev-admin`); back down, two addresses may want one id: one gets it.
        if row.id == old and new not in taken:
            connection.execute(sa.update(operators).where(operators.c.id == old).values(id=new))
            taken = (taken - {old}) | {new}


def upgrade() -> None:
    op.create_table(
        "rate_limit_use",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("clear_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_rate_limit_use_clear_at", "rate_limit_use", ["clear_at"])
    op.create_table(
        "model_spend",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("location_id", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_model_spend_location_at", "model_spend", ["location_id", "at"])
    with op.batch_alter_table("location") as batch_op:
        batch_op.add_column(sa.Column("llm_monthly_budget_usd", sa.Float(), nullable=True))
    with op.batch_alter_table("booking") as batch_op:
        batch_op.add_column(sa.Column("conversation_id", sa.String(), nullable=True))
    op.create_index("ix_booking_conversation_id", "booking", ["conversation_id"])
    with op.batch_alter_table("conversation") as batch_op:
        batch_op.add_column(sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))
    _rename_operators(forward=True)


def downgrade() -> None:
    _rename_operators(forward=False)
    with op.batch_alter_table("conversation") as batch_op:
        batch_op.drop_column("opened_at")
    op.drop_index("ix_booking_conversation_id", "booking")
    with op.batch_alter_table("booking") as batch_op:
        batch_op.drop_column("conversation_id")
    with op.batch_alter_table("location") as batch_op:
        batch_op.drop_column("llm_monthly_budget_usd")
    op.drop_table("model_spend")
    op.drop_table("rate_limit_use")
