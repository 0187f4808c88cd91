"""Contact history: when a customer was last contacted, counted by delivery *claims* (taken in the check
right before a send, see `safeguards.before_send`), so detection and the check before send mean the same
thing, and a claim blocks the next outreach before anything has been delivered."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, update
from sqlmodel import Session, col, select

from models.messages import UNDELIVERED, ActionStatus, AgentType
from models.tables import Location, ProposedAction


@dataclass(frozen=True)
class History:
    """What we know of the customers on one page, gathered in a few queries."""

    last_contact_by_agent: dict[str, datetime]
    last_contact: dict[str, datetime]
    open_by_agent: set[str]


def last_contacts(
    session: Session, customer_ids: Sequence[str], agent_type: AgentType, *conditions: Any
) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """When each customer was last contacted by this agent, and by any: the latest outreach claimed for
    delivery and not failed."""
    claimed = col(ProposedAction.delivery_claimed_at)
    rows = session.exec(
        select(
            ProposedAction.customer_id,
            func.max(case((col(ProposedAction.agent_type) == agent_type, claimed))),
            func.max(claimed),
        )
        .where(
            col(ProposedAction.customer_id).in_(customer_ids),
            claimed.is_not(None),
            col(ProposedAction.status) != ActionStatus.failed,
            *conditions,
        )
        .group_by(col(ProposedAction.customer_id))
    ).all()
    by_agent = {customer_id: at for customer_id, at, _ in rows if at is not None}
    return by_agent, {customer_id: at for customer_id, _, at in rows if at is not None}


def history(session: Session, customer_ids: Sequence[str], agent_type: AgentType) -> History:
    """Last contacts of a page of customers, and which of them have an undelivered proposal of this agent."""
    open_ones = session.exec(
        select(ProposedAction.customer_id).where(
            col(ProposedAction.customer_id).in_(customer_ids),
            col(ProposedAction.agent_type) == agent_type,
            col(ProposedAction.status).in_(UNDELIVERED),
        )
    ).all()
    by_agent, anyone = last_contacts(session, customer_ids, agent_type)
    return History(last_contact_by_agent=by_agent, last_contact=anyone, open_by_agent=set(open_ones))


def lock_location_sends(session: Session, location_id: str | ColumnElement[str]) -> None:
    """Serialize delivery claims at one location until the transaction ends. A write is the one lock both
    databases honour: PostgreSQL locks the row, SQLite takes its write lock before anything is read."""
    session.execute(update(Location).where(col(Location.id) == location_id).values(name=Location.name))
