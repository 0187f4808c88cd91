"""The database's hot paths against the least work that yields the same answer:

detection scan       every safeguard, paged as the worker pages it   vs  one query reading the same rows
check before send    the last re-check and its claim, per delivery   vs  one read-and-write per delivery
"""

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from agents.policy import agent_policy
from agents.registry import AGENTS
from agents.scan import PAGE_SIZE, scan_page, start_scan
from benchmarks.measure import Result, median
from demo.bulk import add_approved, seed_bulk
from domain.ids import outreach_id
from models.db import session_scope
from models.messages import AgentPolicy, Pattern, SendCheck
from models.tables import AgentConfig, Customer, Invoice, Location, ProposedAction
from safeguards.before_send import check_and_claim

LOCATION_ID = "bench-scan"
CHECKS = 500
THRESHOLD_DAYS = 5  # the bulk location's due_invoice threshold


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def interleaved(rounds: int, measured: Callable[[], object], baseline: Callable[[], object]) -> tuple[float, float]:
    """Median seconds of each side over `rounds` rounds, the two taking turns."""
    pairs = [(timed(measured), timed(baseline)) for _ in range(rounds)]
    return median([m for m, _ in pairs]), median([b for _, b in pairs])


def due_invoice_policy(engine: Engine) -> AgentPolicy:
    with Session(engine) as session:
        config = session.exec(select(AgentConfig).where(col(AgentConfig.location_id) == LOCATION_ID)).one()
        location = session.get(Location, LOCATION_ID)
        assert location is not None
        return agent_policy(config, location)


def scan_all(engine: Engine, as_of: datetime) -> list[Pattern]:
    """Detection as the worker runs it: one page per activity, each in a session of its own."""
    policy = due_invoice_policy(engine)
    patterns: list[Pattern] = []
    cursor: str | None = None
    while True:
        with Session(engine) as session:
            scan = start_scan(session, LOCATION_ID, policy, as_of)
            assert scan is not None
            page = scan_page(session, scan, cursor, PAGE_SIZE, len(patterns))
        patterns += page.patterns
        cursor = page.next_cursor
        if cursor is None:
            return patterns


def read_overdue(engine: Engine) -> int:
    """The least work that yields the same situations: one query, no paging, no safeguards."""
    with Session(engine) as session:
        rows = session.exec(
            select(Invoice, Customer)
            .join(Customer, col(Customer.id) == col(Invoice.customer_id))
            .where(
                col(Invoice.location_id) == LOCATION_ID,
                col(Invoice.paid_at).is_(None),
                col(Invoice.due_date) <= date.today() - timedelta(days=THRESHOLD_DAYS),
                col(Customer.opted_out).is_(False),
            )
        ).all()
    return len(rows)


def touch(engine: Engine, action_id: str) -> None:
    """The least a claim can cost: read the proposal and write to it, in one transaction."""
    with session_scope(engine) as session:
        action = session.get(ProposedAction, action_id)
        assert action is not None
        action.decided_by = "bench"


def bench_database(engine: Engine, customers: int, rounds: int) -> list[Result]:
    started = time.perf_counter()
    expected = seed_bulk(engine, LOCATION_ID, customers, invoices_per_customer=5)
    print(f"seeded {customers:,} customers and {customers * 5:,} invoices in {time.perf_counter() - started:.1f}s")

    as_of = datetime.now(UTC)
    patterns = scan_all(engine, as_of)
    assert len(patterns) == expected == read_overdue(engine), (len(patterns), expected)
    scan = interleaved(rounds, lambda: scan_all(engine, as_of), lambda: read_overdue(engine))

    policy = due_invoice_policy(engine)
    chosen = patterns[:CHECKS]
    add_approved(engine, chosen, as_of)
    checks = [SendCheck(action_id=outreach_id(p), policy=policy, at=as_of) for p in chosen]

    def check_all() -> None:
        for check in checks:  # a retried check finds its own claim, so every round does the same work
            verdict = check_and_claim(engine, check, AGENTS[check.policy.agent_type].resolved)
            assert verdict.cancel_reason is None, verdict.cancel_reason

    def touch_all() -> None:
        for check in checks:
            touch(engine, check.action_id)

    claims = interleaved(rounds, check_all, touch_all)
    return [
        Result(f"detection scan, {expected:,} patterns", *scan, unit="s", goal=2.0),
        Result(f"check before send, {len(checks):,} deliveries", *claims, unit="s", goal=2.0),
    ]
