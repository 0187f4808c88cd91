"""Database engine and sessions, shared by the API, the worker's activities and the CLI."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

from settings import Settings


def make_engine(url: str, pool_size: int = 5, max_overflow: int = 10, pool_timeout: float = 30.0) -> Engine:
    """Build an engine; SQLite gets the settings that let a worker and an API share one file. The pool's size is
    per process: the API and the worker size theirs from the settings."""
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    if not url.startswith("sqlite"):
        return create_engine(
            url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout
        )

    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers (API) proceed while a writer (worker) commits.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def process_engine(settings: Settings) -> Engine:
    """The engine of an API or worker process: the configured database, its pool sized by the settings."""
    return make_engine(
        settings.resolved_database_url,
        settings.db_pool_size,
        settings.db_max_overflow,
        settings.db_pool_timeout_seconds,
    )


def release(session: Session) -> None:
    """Commit, and so give the session's connection back to the pool, before awaiting what can take seconds (the
    workflow service, a mail server): held meanwhile, a burst of such awaits drains the pool and every other
    request queues behind them. What the session loaded stays readable: its sessions do not expire on commit."""
    session.commit()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
