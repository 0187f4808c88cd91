"""Alembic environment: migrates the database named by settings, or the connection handed in."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import TypeDecorator
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers every table on the metadata)
from models.db import make_engine
from models.migrate import ours
from settings import get_settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name)

target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(url=get_settings().resolved_database_url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.attributes.get("database_url") or get_settings().resolved_database_url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def render_item(type_: str, obj: object, _context: object) -> str | bool:
    """Render our column types by their database type, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def _run(connection: object) -> None:
    # render_as_batch lets ALTERs work on SQLite too.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        render_item=render_item,
        include_object=ours,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
