"""Every agent's detection at scale (`make scale`, kept out of `make test`): a location with 100,000 customers and a
year of what the agents read — millions of check-ins, a booking and an invoice a month per member, leads and their
tours. Each agent's scan runs to the end, page by page, its time, patterns and peak memory printed; and every query
it makes reads the space's history by index: on SQLite the plan of each statement is asked, and none walks the
check-ins, bookings, invoices or contracts from end to end (not even along an index), nor reads the customers
whole other than along their id, a page at a time."""

import os
import time
import tracemalloc
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlmodel import Session, col, select

from agents.policy import agent_policy
from agents.registry import ROSTER
from agents.scan import PAGE_SIZE, scan_page, start_scan
from conversation import understanding
from demo.bulk import seed_activity
from models.tables import AgentConfig, Location
from tests.factories import LOCATION_ID

pytestmark = pytest.mark.scale

CUSTOMERS = int(os.environ.get("OUTREACH_SCALE_CUSTOMERS", "100000"))
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
# The space's history, which grows every day: read by index, never walked end to end (not even along an index).
HISTORY = ("check_in", "booking", "invoice", "contract")
# The customers: walked in the order of their id, a page at a time from where the last one ended, never read whole
# without an index.
CUSTOMERS_TABLE = "customer"


def statements(engine: Engine) -> tuple[list[tuple[str, Any]], Any]:
    """Every statement the engine runs from now on, with its parameters, and the hook to stop listening."""
    seen: list[tuple[str, Any]] = []

    def heard(_connection: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", heard)
    return seen, lambda: event.remove(engine, "before_cursor_execute", heard)


def whole_scans(engine: Engine, heard: list[tuple[str, Any]]) -> set[str]:
    """What some statement reads from end to end, by SQLite's plan (SCAN, not SEARCH), with the statement."""
    found = set()
    with engine.connect() as connection:
        for statement, parameters in {(s, repr(p)): (s, p) for s, p in heard}.values():
            for _, parent, _, detail in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters):
                walked = detail.startswith(tuple(f"SCAN {table}" for table in HISTORY))
                # Along their id is the page's own walk, at the top of the plan; inside a subquery it is one per row.
                walked |= detail.startswith(f"SCAN {CUSTOMERS_TABLE}") and (parent != 0 or " USING " not in detail)
                if walked:
                    found.add(f"{detail} in {' '.join(statement.split())[:300]}")
    return found


def test_every_agent_detects_over_a_year_of_activity_by_index(engine: Engine, database_url: str) -> None:
    started = time.monotonic()
    written = seed_activity(engine, LOCATION_ID, CUSTOMERS, today=NOW.date())
    # As a database in service has them (autovacuum keeps PostgreSQL's): the planner's statistics, and on PostgreSQL
    # the map of pages all visible, which lets an index answer without reading the table.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE" if database_url.startswith("sqlite") else "VACUUM ANALYZE"))
    rows = ", ".join(f"{count:,} {name}" for name, count in written.items())
    print(f"\n[{database_url.split(':')[0]}] seeded {rows} in {time.monotonic() - started:.0f}s")
    understanding.load()  # once a worker's life, not a detection's cost
    scanned_whole: dict[str, set[str]] = {}
    with Session(engine) as session:
        location = session.get(Location, LOCATION_ID)
        assert location is not None
        configs = session.exec(select(AgentConfig).where(col(AgentConfig.location_id) == LOCATION_ID)).all()
        policies = [agent_policy(config, location) for config in configs]
    for policy in sorted(policies, key=lambda chosen: list(ROSTER).index(chosen.agent_type)):
        heard, stop = statements(engine)
        tracemalloc.start()
        started, found, cursor = time.monotonic(), 0, None
        with Session(engine) as session:
            scan = start_scan(session, LOCATION_ID, policy, NOW, understanding.groups)
            assert scan is not None
            while True:
                page = scan_page(session, scan, cursor, PAGE_SIZE, found)
                found += len(page.patterns)
                if (cursor := page.next_cursor) is None:
                    break
        seconds, (_, peak) = time.monotonic() - started, tracemalloc.get_traced_memory()
        tracemalloc.stop()
        stop()
        print(f"{policy.agent_type.value:<18} {found:>7,} patterns in {seconds:6.1f}s, "
              f"{len(heard):>5,} queries, peak memory {peak / 2**20:5.1f} MiB")  # fmt: skip
        assert found > 0, f"the bulk space gives {policy.agent_type.value} work"
        assert peak < 64 * 2**20
        if database_url.startswith("sqlite"):
            scanned_whole[policy.agent_type.value] = whole_scans(engine, heard)
    assert {agent: scans for agent, scans in scanned_whole.items() if scans} == {}
