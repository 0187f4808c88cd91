"""The Alembic migrations build exactly the schema the models describe, on every backend."""

import warnings
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, TextClause, text
from sqlmodel import Session, SQLModel, select

from models.db import make_engine
from models.migrate import alembic_config, fresh_database, ours, upgrade
from models.operators import Permission, create_operator, grant, operator_id_for
from models.tables import Operator
from tests.conftest import POSTGRES_URL

# Indexes on an expression (the inbox's attention order): neither database tells Alembic what they index, so they
# are compared by name, and everything else by what it is.
ON_EXPRESSIONS = {index.name for table in SQLModel.metadata.tables.values() for index in table.indexes
                  if any(isinstance(part, TextClause) for part in index.expressions)}  # fmt: skip


def test_migrations_match_the_models(engine: Engine, database_url: str) -> None:
    upgrade(database_url)  # already at head: a second run is a no-op

    def compared(*found: Any) -> bool:
        return ours(*found) and not (found[2] == "index" and found[1] in ON_EXPRESSIONS)

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index")
        with engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection, opts={"include_object": compared}), SQLModel.metadata
            )
            listed = "SELECT name FROM sqlite_master WHERE type = 'index'" if engine.dialect.name == "sqlite" else (
                "SELECT indexname FROM pg_indexes")  # fmt: skip
            indexes = set(connection.execute(text(listed)).scalars())
    assert differences == []
    assert ON_EXPRESSIONS and indexes >= ON_EXPRESSIONS


def test_operators_made_before_keep_their_tokens_under_ids_two_addresses_cannot_share(
    tmp_path: Path, database_url: str
) -> None:
    postgres = None if database_url.startswith("sqlite") else POSTGRES_URL
    with fresh_database(tmp_path, "operator_ids", postgres) as url:
        command.downgrade(alembic_config(url), "0014")
        engine = make_engine(url)
        with engine.begin() as connection:  # as `operators create` wrote them before
            connection.execute(
                text("INSERT INTO operator (id, name, email, token_hash, is_admin, location_ids, permissions) VALUES "
                     "('a-b-x-example', 'Anna', 'a.b@x.example', 'hash-anna', false, '[\"ams\"]', '[]'), "
                     "('dev-admin', 'Demo admin', 'admin@outreach.example', 'hash-admin', true, '[]', '[]')")
            )  # fmt: skip
        upgrade(url)
        # The new address no longer takes the old one's place, and the old one is still found by its address.
        create_operator(engine, name="Alex", email="a-b@x.example", location_ids=["ams"], is_admin=False)
        assert grant(engine, "a.b@x.example", [Permission.agent_config]) == ["agentConfig"]
        with Session(engine) as session:
            operators = {row.email: row for row in session.exec(select(Operator))}
        engine.dispose()
    assert operators["a.b@x.example"].id == operator_id_for("a.b@x.example")
    assert operators["a.b@x.example"].token_hash == "hash-anna"  # its token still signs it in
    assert operators["a-b@x.example"].id == operator_id_for("a-b@x.example") != operators["a.b@x.example"].id
    assert operators["admin@outreach.example"].id == "dev-admin"
