"""Apply Alembic migrations programmatically (CLI, `make run`, tests)."""

from alembic import command
from alembic.config import Config

from settings import PROJECT_ROOT


def alembic_config(database_url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str) -> None:
    """Bring the database to the newest schema; a no-op when it is already there."""
    command.upgrade(alembic_config(database_url), "head")
