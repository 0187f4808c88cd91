"""the built-in help desk: departments, tickets, public comments and internal notes; a proposal's ticket fields

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


PRIORITY = ("low", "normal", "high", "critical")


def upgrade() -> None:
    with op.batch_alter_table("proposed_action") as batch_op:
        batch_op.add_column(sa.Column("ticket_department_id", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("ticket_priority", _enum(*PRIORITY, name="priority"), nullable=True))
        batch_op.add_column(sa.Column("internal_notes", sa.String(), nullable=True))
    op.create_table(
        "helpdesk_department",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("location_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_helpdesk_department_location_id", "helpdesk_department", ["location_id"])
    op.create_table(
        "ticket",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("location_id", sa.String(), nullable=False),
        sa.Column("requester_id", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("status", _enum("open", "pending", "solved", "closed", name="ticketstatus"), nullable=False),
        sa.Column("priority", _enum(*PRIORITY, name="priority"), nullable=False),
        sa.Column("department_id", sa.String(), nullable=True),
        sa.Column("assignee_id", sa.String(), nullable=True),
        sa.Column("proposed_action_id", sa.String(), nullable=True),
        sa.Column("conversation_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"]),
        sa.ForeignKeyConstraint(["requester_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["department_id"], ["helpdesk_department.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    for column in ("location_id", "requester_id", "proposed_action_id", "conversation_id"):
        op.create_index(f"ix_ticket_{column}", "ticket", [column])
    op.create_table(
        "ticket_comment",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("author", _enum("ai", "operator", "customer", "system", name="sender"), nullable=False),
        sa.Column("author_name", sa.String(), nullable=False),
        sa.Column("body_html", sa.String(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_comment_ticket_id", "ticket_comment", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("ticket_comment")
    op.drop_table("ticket")
    op.drop_table("helpdesk_department")
    with op.batch_alter_table("proposed_action") as batch_op:
        batch_op.drop_column("internal_notes")
        batch_op.drop_column("ticket_priority")
        batch_op.drop_column("ticket_department_id")
