"""The paged scan: one SQL query per agent type over indexed columns, paged by a stable (customer,
situation) cursor, each page put through every safeguard. Detection and the dry run walk the very same
pages, so a preview's counts are what a run then does."""

import json
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from agents.base import Candidates, Grouping, Scan
from agents.registry import AGENTS, TEAM_AGENTS
from domain.business_hours import local_day_start
from models.messages import AgentPolicy, Pattern, PatternPage, SkipCounts
from models.tables import Customer, Location, ProposedAction
from safeguards.confidence import score
from safeguards.contact_budget import spent, window_start
from safeguards.contact_history import history
from safeguards.cooldown import in_cooldown, in_min_gap
from safeguards.daily_max import proposed_today_before
from safeguards.open_matters import open_matters

PAGE_SIZE = 200


def start_scan(
    session: Session, location_id: str, policy: AgentPolicy, as_of: datetime, by_meaning: Grouping | None = None
) -> Scan | None:
    location = session.get(Location, location_id)
    if location is None:
        return None
    return scan_of(location, policy, as_of, by_meaning)


def scan_of(location: Location, policy: AgentPolicy, as_of: datetime, by_meaning: Grouping | None = None) -> Scan:
    return Scan(location, policy, as_of, local_day_start(as_of, location.time_zone).date(), by_meaning)


def _cursor(customer_id: str, key: str, taken: bool) -> str:
    return json.dumps([customer_id, key, taken])


def scan_page(session: Session, scan: Scan, after: str | None, limit: int, started_this_run: int) -> PatternPage:
    """One page of candidates through every safeguard.

    Opted-out customers and situations proposed before are filtered in SQL (and counted); cooldown,
    the minimum gap, one proposal per customer per run, a matter the team has open with the customer, the
    customer's contact budget and the daily maximum are applied here.
    """
    if scan.policy.agent_type in TEAM_AGENTS:
        return _team_page(session, scan, started_this_run)
    agent, policy = AGENTS[scan.policy.agent_type], scan.policy
    rows_query = agent.candidates(scan).order_by(col(Customer.id), agent.key).limit(limit)
    last_customer, last_key, last_taken = json.loads(after) if after else (None, None, False)
    if last_customer is not None:
        # The first condition alone lets the database seek to where the last page ended in its index of customers;
        # the second then skips what that page took of its last customer.
        rows_query = rows_query.where(
            col(Customer.id) >= last_customer,
            or_(col(Customer.id) > last_customer, (col(Customer.id) == last_customer) & (agent.key > last_key)),
        )
    rows = session.exec(rows_query).all()
    customer_ids = sorted({row[1].id for row in rows})
    known = history(session, customer_ids, policy.agent_type, window_start(scan.as_of, policy))
    contacts, matters = known.contacts, open_matters(session, customer_ids, scan.as_of)
    remaining = (
        policy.daily_max
        - proposed_today_before(session, scan.location, policy.agent_type, scan.as_of)
        - started_this_run
    )
    skipped = SkipCounts()
    patterns: list[Pattern] = []
    taken = last_taken
    for situation, customer in rows:
        taken = taken and customer.id == last_customer
        last_customer, last_key = customer.id, situation.id
        last_contact = contacts.last.get(customer.id)
        if (
            taken  # one proposal per customer and agent per run; the rest wait for the cooldown
            or customer.id in known.open_by_agent
            or in_cooldown(contacts.last_by_agent.get(customer.id), scan.as_of, policy)
            or in_min_gap(last_contact, scan.as_of, policy)
        ):
            skipped.cooldown += 1
            continue
        if customer.id in matters:  # proposed once the team has closed it
            skipped.open_matter += 1
            continue
        if spent(contacts, customer.id, policy):  # proposed again once the window has room
            skipped.contact_budget += 1
            continue
        if len(patterns) >= remaining:
            skipped.daily_cap += 1
            continue
        pattern = agent.pattern(scan, situation, customer, session)
        confidence, reasons = score(pattern, customer, last_contact, scan.today, scan.as_of)
        patterns.append(pattern.model_copy(update={"confidence": confidence, "confidence_reasons": reasons}))
        taken = True
    next_cursor = None
    if len(rows) == limit and last_customer is not None and last_key is not None:
        next_cursor = _cursor(last_customer, last_key, taken)
    return PatternPage(patterns=patterns, next_cursor=next_cursor, skipped=skipped)


def _team_page(session: Session, scan: Scan, started_this_run: int) -> PatternPage:
    """A team agent's work, whole in one page: what it finds that was never proposed, up to the daily maximum.
    No customer's safeguard applies: nothing goes to a customer."""
    found = TEAM_AGENTS[scan.policy.agent_type].find(session, scan)
    proposed = set(session.exec(select(ProposedAction.dedup_key).where(
        col(ProposedAction.location_id) == scan.location.id,
        col(ProposedAction.dedup_key).in_([pattern.dedup_key for pattern in found]),
    )).all())  # fmt: skip
    fresh = [pattern for pattern in found if pattern.dedup_key not in proposed]
    remaining = max(0, scan.policy.daily_max - started_this_run
                    - proposed_today_before(session, scan.location, scan.policy.agent_type, scan.as_of))  # fmt: skip
    skipped = SkipCounts(dedup=len(found) - len(fresh), daily_cap=max(0, len(fresh) - remaining))
    return PatternPage(patterns=fresh[:remaining], next_cursor=None, skipped=skipped)


def filtered_out(session: Session, scan: Scan) -> SkipCounts:
    """Candidates the SQL filters held back: opted-out customers and situations proposed before (a team agent's
    are counted on its one page)."""
    if scan.policy.agent_type in TEAM_AGENTS:
        return SkipCounts()
    agent = AGENTS[scan.policy.agent_type]

    def count(query: Candidates) -> int:
        return session.exec(select(func.count()).select_from(query.subquery())).one()

    opted_out = agent.source(scan).where(col(Customer.opted_out).is_(True))
    proposed = agent.source(scan).where(col(Customer.opted_out).is_(False), agent.proposed(scan))
    return SkipCounts(opted_out=count(opted_out), dedup=count(proposed))
