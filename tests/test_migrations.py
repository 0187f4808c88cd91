"""The Alembic migrations build exactly the schema the models describe, on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

from models.migrate import ours, upgrade


def test_migrations_match_the_models(engine: Engine, database_url: str) -> None:
    upgrade(database_url)  # already at head: a second run is a no-op
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"include_object": ours}), SQLModel.metadata
        )
    assert differences == []
