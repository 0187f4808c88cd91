"""Support category spike: a help-desk category with many more tickets in the last seven days than its usual week
over the N days before — a broken door, the Wi-Fi, a billing run gone wrong — proposed to the team with the tickets
that make it. Approving it opens one ticket for the team to find the common cause, the tickets listed."""

import uuid
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from agents.base import Scan, TeamAgent
from models.messages import AgentType, Pattern, Priority, Sender, TicketStatus
from models.tables import Customer, ProposedAction, Ticket
from providers.helpdesk import add_comment, ticket_number

WEEK = timedelta(days=7)
# A spike is this many tickets in a week at the least (two alike in a quiet week are chance), and this many times
# the category's usual week; this many times over, it is pressing.
SPIKE_TICKETS = 3
SPIKE_TIMES = 2
PRESSING_TIMES = 4
LISTED_TICKETS = 20


def _find(session: Session, scan: Scan) -> list[Pattern]:
    this_week = scan.as_of - WEEK
    usual_since = this_week - timedelta(days=scan.policy.threshold_days)
    weeks = scan.policy.threshold_days / 7
    by_category: Any = (
        select_columns(
            col(Ticket.category),
            func.count().filter(col(Ticket.created_at) > this_week).label("now"),
            func.count().filter(col(Ticket.created_at) <= this_week).label("before"),
        )
        .where(
            col(Ticket.location_id) == scan.location.id,
            col(Ticket.category).is_not(None),
            col(Ticket.created_at) > usual_since,
            col(Ticket.created_at) <= scan.as_of,
        )
        .group_by(col(Ticket.category))
    )
    counts = session.exec(by_category).all()
    return [
        _pattern(session, scan, category, now, before / weeks)
        for category, now, before in sorted(counts, key=lambda row: (-row.now, row.category))
        if now >= SPIKE_TICKETS and now >= SPIKE_TIMES * before / weeks
    ]


def _pattern(session: Session, scan: Scan, category: str, now: int, usual: float) -> Pattern:
    tickets = session.exec(
        select(Ticket, Customer.name)
        .join(Customer, col(Customer.id) == col(Ticket.requester_id), isouter=True)
        .where(
            col(Ticket.location_id) == scan.location.id,
            col(Ticket.category) == category,
            col(Ticket.created_at) > scan.as_of - WEEK,
            col(Ticket.created_at) <= scan.as_of,
        )
        .order_by(col(Ticket.created_at), col(Ticket.id))
        .limit(LISTED_TICKETS)
    ).all()
    usual_words = f"{usual:.1f}".removesuffix(".0")
    week = scan.today.isocalendar()
    lines = "".join(
        f"<li>{escape(ticket.number)} ({ticket.created_at.date().isoformat()}, {escape(name or 'the team')}): "
        f"{escape(ticket.subject)}</li>"
        for ticket, name in tickets
    )
    more = f"<p>And {now - len(tickets)} more.</p>" if now > len(tickets) else ""
    approving = "Approving opens one ticket for the team to find what they have in common; nothing is sent to anyone."
    times = now / usual if usual else None
    return Pattern(
        location_id=scan.location.id,
        agent_type=AgentType.category_spike,
        # One a category a week: a spike that goes on is proposed again next week if the first was not acted on.
        dedup_key=f"{AgentType.category_spike.value}:{category}:{week.year}-W{week.week:02d}",
        customer_id=None,
        customer_name="",
        reason=f"{now} “{category}” tickets in the last 7 days, against {usual_words} in a usual week of the "
        f"{scan.policy.threshold_days} days before.",
        facts={
            "title": f"{now} “{category}” tickets this week (usually {usual_words})",
            "body_html": f"<ol>{lines}</ol>{more}<p>{escape(approving)}</p>",
            "category": category,
            "tickets": ", ".join(ticket.number for ticket, _name in tickets),
        },
        priority=Priority.high if times is None or times >= PRESSING_TIMES else Priority.normal,
        # The further above its usual level, the surer it is not chance.
        confidence=min(95, 40 + 10 * now) if times is None else min(95, int(40 + 10 * times)),
        confidence_reasons=[f"{now} tickets this week", f"{usual_words} in a usual week"],
    )


def _create(session: Session, action: ProposedAction) -> str:
    """One ticket for the team, in the category, the proposal as approved its internal note; opened once."""
    ticket_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{action.id}:spike"))
    number = ticket_number(ticket_id)
    if session.get(Ticket, ticket_id) is None:
        now = datetime.now(UTC)
        session.add(Ticket(id=ticket_id, number=number, location_id=action.location_id, requester_id=None,
                           subject=action.subject, category=str(action.facts["category"]), status=TicketStatus.open,
                           priority=action.priority, created_at=now, updated_at=now))  # fmt: skip
        session.flush()
        add_comment(session, ticket_id, f"{ticket_id}:why", Sender.system, "Proactive Outreach", action.body_html,
                    public=False, at=now)  # fmt: skip
    return f"Opened ticket {number} for the team to find the common cause."


AGENT = TeamAgent(
    type=AgentType.category_spike,
    description="A help-desk category with at least twice its usual week's tickets (over the N days before) in the "
    "last 7 days, the tickets listed; approving it opens a ticket for the team to find the common cause.",
    threshold_days=56,
    find=_find,
    create=_create,
)
