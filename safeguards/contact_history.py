"""Contact history: when a customer was last contacted, counted by delivery *claims* (taken in the check
right before a send, see `safeguards.before_send`), so detection and the check before send mean the same
thing, and a claim blocks the next outreach before anything has been delivered."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models.messages import UNDELIVERED, ActionStatus, AgentType
from models.tables import Location, ProposedAction


@dataclass(frozen=True)
class Contacts:
    """When customers were last contacted (by one agent, by any) and their contacts since a moment (the start of
    their contact budget's window): how many, and the oldest of them."""

    last_by_agent: dict[str, datetime]
    last: dict[str, datetime]
    since: dict[str, tuple[int, datetime]]


@dataclass(frozen=True)
class History:
    """What we know of the customers on one page, gathered in a few queries."""

    contacts: Contacts
    open_by_agent: set[str]


def last_contacts(
    session: Session, customer_ids: Sequence[str], agent_type: AgentType, since: datetime, *conditions: Any
) -> Contacts:
    """Each customer's contacts: the outreaches claimed for delivery and not failed."""
    claimed = col(ProposedAction.delivery_claimed_at)
    recent = case((claimed > since, claimed))  # a contact exactly a window ago has left it
    rows = session.execute(  # five columns: more than sqlmodel's `select` types
        sa_select(
            col(ProposedAction.customer_id),
            func.max(case((col(ProposedAction.agent_type) == agent_type, claimed))),
            func.max(claimed),
            func.count(recent),
            func.min(recent),
        )
        .where(
            col(ProposedAction.customer_id).in_(customer_ids),
            claimed.is_not(None),
            col(ProposedAction.status) != ActionStatus.failed,
            *conditions,
        )
        .group_by(col(ProposedAction.customer_id))
    ).all()
    return Contacts(
        last_by_agent={customer_id: at for customer_id, at, *_ in rows if at is not None},
        last={customer_id: at for customer_id, _, at, *_ in rows if at is not None},
        since={customer_id: (count, oldest) for customer_id, _, _, count, oldest in rows if count},
    )


def history(session: Session, customer_ids: Sequence[str], agent_type: AgentType, since: datetime) -> History:
    """Contacts of a page of customers, and which of them have an undelivered proposal of this agent."""
    open_ones = session.exec(
        select(ProposedAction.customer_id).where(
            col(ProposedAction.customer_id).in_(customer_ids),
            col(ProposedAction.agent_type) == agent_type,
            col(ProposedAction.status).in_(UNDELIVERED),
        )
    ).all()
    return History(
        contacts=last_contacts(session, customer_ids, agent_type, since),
        open_by_agent={customer for customer in open_ones if customer},
    )


def lock_location_sends(session: Session, location_id: str | ColumnElement[str]) -> None:
    """Serialize delivery claims at one location until the transaction ends. A write is the one lock both
    databases honour: PostgreSQL locks the row, SQLite takes its write lock before anything is read."""
    session.execute(update(Location).where(col(Location.id) == location_id).values(name=Location.name))
