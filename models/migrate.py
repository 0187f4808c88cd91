"""Apply Alembic migrations programmatically (CLI, `make run`, tests), and make throwaway databases."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config

# Beside `models/` in the source tree and in an installed wheel alike (`alembic.ini` is for the alembic command).
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


# What the database keeps for itself, outside the models: the FAQ's full-text index (SQLite's FTS5 table and its
# shadow tables, PostgreSQL's GIN index over an expression). Schema comparisons leave it out.
DATABASE_OWN = ("faq_search", "ix_faqarticle_search")


def ours(_object: object, name: str | None, _type: str, _reflected: bool, _compare_to: object) -> bool:
    """Alembic's `include_object`: everything but what the database keeps for itself."""
    return not (name or "").startswith(DATABASE_OWN)


def upgrade(database_url: str) -> None:
    """Bring the database to the newest schema; a no-op when it is already there."""
    command.upgrade(alembic_config(database_url), "head")


@contextmanager
def fresh_database(directory: Path, name: str, postgres_url: str | None) -> Iterator[str]:
    """A new, migrated database for tests, benchmarks and scale runs: a SQLite file in `directory`, or, given
    the URL of a PostgreSQL server's maintenance database, a database of its own there, dropped afterwards."""
    if postgres_url is None:
        url = f"sqlite:///{directory / f'{name}.db'}"
        upgrade(url)
        yield url
        return
    database = f"{name}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    url = postgres_url.rsplit("/", 1)[0] + f"/{database}"
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
