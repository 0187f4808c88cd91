"""what the conversation's tools work on: invoice line items, a location's address, Wi-Fi and day-pass price,
offices let by the month, bookings made once per request (and day passes), and full-text search over the FAQ
(SQLite FTS5 kept by triggers; a PostgreSQL GIN index over its tsvector)

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FTS_SQLITE = [
    "CREATE VIRTUAL TABLE faq_search USING fts5(question, answer, content='faqarticle', content_rowid='rowid', "
    "tokenize='porter unicode61')",
    "CREATE TRIGGER faq_search_insert AFTER INSERT ON faqarticle BEGIN INSERT INTO faq_search(rowid, question, "
    "answer) VALUES (new.rowid, new.question, new.answer); END",
    "CREATE TRIGGER faq_search_delete AFTER DELETE ON faqarticle BEGIN INSERT INTO faq_search(faq_search, rowid, "
    "question, answer) VALUES ('delete', old.rowid, old.question, old.answer); END",
    "CREATE TRIGGER faq_search_update AFTER UPDATE ON faqarticle BEGIN INSERT INTO faq_search(faq_search, rowid, "
    "question, answer) VALUES ('delete', old.rowid, old.question, old.answer); INSERT INTO faq_search(rowid, "
    "question, answer) VALUES (new.rowid, new.question, new.answer); END",
    "INSERT INTO faq_search(faq_search) VALUES ('rebuild')",
]
_FTS_POSTGRES = (
    "CREATE INDEX ix_faqarticle_search ON faqarticle "
    "USING gin (to_tsvector('english', question || ' ' || answer))"
)


def upgrade() -> None:
    with op.batch_alter_table("location") as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("wifi_network", sa.String(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("wifi_password", sa.String(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("day_pass_price_cents", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("resource") as batch_op:
        batch_op.add_column(sa.Column("monthly_price_cents", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("description", sa.String(), nullable=False, server_default=""))
    with op.batch_alter_table("booking") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(), nullable=False, server_default="booking"))
        batch_op.add_column(sa.Column("request_key", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint("uq_booking_request_key", ["request_key"])
    op.create_table(
        "invoice_line",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("invoice_id", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_amount_cents", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_invoice_line_invoice_id", "invoice_line", ["invoice_id"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in _FTS_SQLITE:
            op.execute(statement)
    else:
        op.execute(_FTS_POSTGRES)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER faq_search_{trigger}")
        op.execute("DROP TABLE faq_search")
    else:
        op.execute("DROP INDEX ix_faqarticle_search")
    op.drop_table("invoice_line")
    with op.batch_alter_table("booking") as batch_op:
        batch_op.drop_constraint("uq_booking_request_key", type_="unique")
        for column in ("created_at", "request_key", "kind"):
            batch_op.drop_column(column)
    with op.batch_alter_table("resource") as batch_op:
        batch_op.drop_column("description")
        batch_op.drop_column("monthly_price_cents")
    with op.batch_alter_table("location") as batch_op:
        for column in ("day_pass_price_cents", "wifi_password", "wifi_network", "address"):
            batch_op.drop_column(column)
