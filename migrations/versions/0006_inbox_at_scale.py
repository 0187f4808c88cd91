"""inbox at scale: an index per list order, and per-bucket proposal counts kept by triggers

A later migration that rebuilds `proposed_action` on SQLite (batch mode copies the table) must create the
triggers again.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUCKET = ("location_id", "status", "agent_type", "channel")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def _matches(row: str) -> str:
    return " AND ".join(f"{column} = {row}.{column}" for column in BUCKET)


def _count_new(row: str, table_prefix: str) -> str:
    columns = ", ".join(BUCKET)
    values = ", ".join(f"{row}.{column}" for column in BUCKET)
    return (
        f"INSERT INTO inbox_count ({columns}, proposals) VALUES ({values}, 1) "
        f"ON CONFLICT ({columns}) DO UPDATE SET proposals = {table_prefix}proposals + 1;"
    )


def _count_old(row: str) -> str:
    return f"UPDATE inbox_count SET proposals = proposals - 1 WHERE {_matches(row)};"


# A row moves between buckets only when one of these changes.
_MOVED = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in BUCKET)
_MOVED_SQLITE = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in BUCKET)


def upgrade() -> None:
    with op.batch_alter_table("proposed_action") as batch_op:
        batch_op.drop_index("ix_proposed_action_inbox")
        batch_op.create_index("ix_proposed_action_inbox", ["location_id", "status", "created_at", "id"])
        batch_op.create_index("ix_proposed_action_newest", ["created_at", "id"])
        batch_op.create_index("ix_proposed_action_location_newest", ["location_id", "created_at", "id"])
        batch_op.create_index("ix_proposed_action_status_newest", ["status", "created_at", "id"])
    op.create_table(
        "inbox_count",
        sa.Column("location_id", sa.String(), nullable=False),
        sa.Column(
            "status",
            _enum("actionstatus", "pending", "snoozed", "approved", "deferred", "auto_executed", "sent", "rejected",
                  "expired", "failed", "cancelled"),
            nullable=False,
        ),  # fmt: skip
        sa.Column(
            "agent_type",
            _enum("agenttype", "due_invoice", "contract_renewal", "lead_follow_up", "first_booking"),
            nullable=False,
        ),
        sa.Column("channel", _enum("channel", "ai_email", "voice", "email", "helpdesk", "sms", "chat"), nullable=False),
        sa.Column("proposals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*BUCKET),
    )
    columns = ", ".join(BUCKET)
    op.execute(
        f"INSERT INTO inbox_count ({columns}, proposals) "
        f"SELECT {columns}, count(*) FROM proposed_action GROUP BY {columns}"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION inbox_count_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP <> 'INSERT' THEN {_count_old('OLD')} END IF; "
            f"IF TG_OP <> 'DELETE' THEN {_count_new('NEW', 'inbox_count.')} END IF; "
            "RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER inbox_count_insert_delete AFTER INSERT OR DELETE ON proposed_action "
            "FOR EACH ROW EXECUTE FUNCTION inbox_count_change()"
        )
        op.execute(
            f"CREATE TRIGGER inbox_count_update AFTER UPDATE OF {columns} ON proposed_action "
            f"FOR EACH ROW WHEN ({_MOVED}) EXECUTE FUNCTION inbox_count_change()"
        )
    else:
        op.execute(f"CREATE TRIGGER inbox_count_insert AFTER INSERT ON proposed_action BEGIN {_count_new('NEW', '')} END")
        op.execute(f"CREATE TRIGGER inbox_count_delete AFTER DELETE ON proposed_action BEGIN {_count_old('OLD')} END")
        op.execute(
            f"CREATE TRIGGER inbox_count_update AFTER UPDATE OF {columns} ON proposed_action WHEN {_MOVED_SQLITE} "
            f"BEGIN {_count_old('OLD')} {_count_new('NEW', '')} END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER inbox_count_insert_delete ON proposed_action")
        op.execute("DROP TRIGGER inbox_count_update ON proposed_action")
        op.execute("DROP FUNCTION inbox_count_change()")
    else:
        for trigger in ("inbox_count_insert", "inbox_count_delete", "inbox_count_update"):
            op.execute(f"DROP TRIGGER {trigger}")
    op.drop_table("inbox_count")
    with op.batch_alter_table("proposed_action") as batch_op:
        batch_op.drop_index("ix_proposed_action_status_newest")
        batch_op.drop_index("ix_proposed_action_location_newest")
        batch_op.drop_index("ix_proposed_action_newest")
        batch_op.drop_index("ix_proposed_action_inbox")
        batch_op.create_index("ix_proposed_action_inbox", ["location_id", "status", "created_at"])
