"""Rate limits kept in the database, so every API process counts the same requests (nothing here is in memory).

A limit lets `most` requests through per `period`: a burst of that many at once, then one each `period / most`
as the earlier ones drain away (the generic cell rate algorithm). Each client's use is one row holding the moment it
will have drained (`clear_at`); one atomic upsert both checks and counts a request, so two processes racing for the
last place cannot both take it, on SQLite and PostgreSQL alike. A refused request is not counted: a client that
keeps knocking gets in as soon as the time it was told has passed.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from models.db import session_scope
from models.tables import RateLimitUse


@dataclass(frozen=True)
class RateLimit:
    name: str  # with the client, the row's key: "{name}:{who}"
    most: int
    period: timedelta

    @property
    def interval(self) -> float:
        """Seconds each request takes to drain away."""
        return self.period.total_seconds() / self.most


def take(engine: Engine, limit: RateLimit, who: str, now: datetime) -> int | None:
    """Count one request of `who` against the limit: None when it may go ahead, else the whole seconds to wait."""
    key, at = f"{limit.name}:{who}", now.timestamp()
    period, interval = limit.period.total_seconds(), limit.interval
    used_from = case((col(RateLimitUse.clear_at) > at, col(RateLimitUse.clear_at)), else_=at)
    with session_scope(engine) as session:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        counted = session.execute(
            insert(RateLimitUse)
            .values(key=key, clear_at=at + interval)
            .on_conflict_do_update(
                index_elements=[col(RateLimitUse.key)],
                set_={"clear_at": used_from + interval},
                where=used_from + interval - at <= period,  # a refused request changes nothing
            )
            .returning(col(RateLimitUse.clear_at))
        ).first()
        if counted is not None:
            return None
        clear_at = session.exec(select(RateLimitUse.clear_at).where(col(RateLimitUse.key) == key)).first() or at
    return max(1, math.ceil(clear_at + interval - period - at))


def forget_drained(engine: Engine, now: datetime) -> None:
    """Delete the uses that have drained away (as good as none), so clients that come and go leave no rows. In a
    transaction of its own, apart from any counting: a count holds its one row only for its own statement."""
    with session_scope(engine) as session:
        session.execute(delete(RateLimitUse).where(col(RateLimitUse.clear_at) <= now.timestamp()))
