"""Rate limits counted in the database, on both databases: a burst of so many, then one per interval, the wait
said to the second; exact when many requests race for the last places at once, as API processes would; a refused
request does not make the wait longer; used-up rows go once they have drained."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models.tables import RateLimitUse
from safeguards.rate_limits import RateLimit, forget_drained, take

NOW = datetime(2026, 12, 1, 9, 0, 30, tzinfo=UTC)  # time is an input here: nothing depends on today
FIVE_A_MINUTE = RateLimit("test", 5, timedelta(minutes=1))  # a burst of five, then one every 12 seconds


def test_a_burst_of_so_many_then_one_per_interval(engine: Engine) -> None:
    assert [take(engine, FIVE_A_MINUTE, "client", NOW) for _ in range(5)] == [None] * 5
    assert take(engine, FIVE_A_MINUTE, "client", NOW) == 12
    # Knocking again changes nothing: the wait is the same, and counts down with the clock.
    assert take(engine, FIVE_A_MINUTE, "client", NOW + timedelta(seconds=2)) == 10
    assert take(engine, FIVE_A_MINUTE, "client", NOW + timedelta(seconds=12)) is None
    assert take(engine, FIVE_A_MINUTE, "client", NOW + timedelta(seconds=12)) == 12
    # Another client, and the same client under another limit, count apart.
    assert take(engine, FIVE_A_MINUTE, "someone else", NOW) is None
    assert take(engine, RateLimit("other", 1, timedelta(days=1)), "client", NOW) is None
    assert take(engine, RateLimit("other", 1, timedelta(days=1)), "client", NOW) == 86_400
    # After a quiet minute the whole burst is there again.
    later = NOW + timedelta(minutes=2)
    assert [take(engine, FIVE_A_MINUTE, "client", later) for _ in range(6)] == [None] * 5 + [12]


def test_requests_racing_for_the_last_places_get_exactly_that_many(engine: Engine) -> None:
    start = threading.Barrier(20)

    def knock(_: int) -> int | None:
        start.wait()
        return take(engine, FIVE_A_MINUTE, "script", NOW)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(knock, range(20)))
    assert answers.count(None) == 5
    assert all(wait is not None and 1 <= wait <= 12 for wait in answers if wait is not None)


def test_drained_uses_are_forgotten_and_the_others_kept(engine: Engine) -> None:
    take(engine, FIVE_A_MINUTE, "gone", NOW)  # drained 12 s later
    for _ in range(5):
        take(engine, FIVE_A_MINUTE, "busy", NOW + timedelta(seconds=30))
    forget_drained(engine, NOW + timedelta(seconds=40))
    with Session(engine) as session:
        assert session.exec(select(RateLimitUse.key).order_by(col(RateLimitUse.key))).all() == ["test:busy"]
    # Forgotten is as good as drained: the whole burst again.
    assert [take(engine, FIVE_A_MINUTE, "gone", NOW + timedelta(seconds=40)) for _ in range(6)] == [None] * 5 + [12]
