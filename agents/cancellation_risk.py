"""Cancellation risk: the members most likely to leave before their contract ends within N days, ranked each week
for the team with the reasons — coming less than they used to, invoices overdue, a complaint or dispute handed to
the team, having said they are leaving. Approving it opens a ticket for the team about each."""

from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from agents.at_risk import HABIT, visit_counts
from agents.base import (
    LEAVING_SAID_HOLDS,
    Ranked,
    Scan,
    TeamAgent,
    ending_within,
    open_team_tickets,
    ranked_list,
)
from models.messages import AgentType, EscalationReason, Pattern
from models.tables import Contract, Customer, Invoice, ProposedAction, Ticket

# Complaints the team handled this recently still weigh.
GRIEVANCE = timedelta(days=60)
GRIEVANCES = (EscalationReason.complaint, EscalationReason.dispute, EscalationReason.frustrated,
              EscalationReason.legal)  # fmt: skip
# What each signal adds to a member's score (out of 100), and the score from which they are listed: signals that
# the member is going count most, then that they stopped coming, then money and grievances.
SAID_LEAVING, STOPPED, FELL, PER_OVERDUE, GRIEVED, ENDING_SOON = 45, 35, 25, 15, 20, 10
LISTED_FROM = 40


def _signals(scan: Scan) -> Any:
    recent, before = visit_counts(scan, Customer.id)  # as the at-risk agent counts them
    overdue = (
        select(func.count())
        .where(col(Invoice.customer_id) == Customer.id, col(Invoice.paid_at).is_(None),
               col(Invoice.due_date) < scan.today)
        .scalar_subquery()
    )  # fmt: skip
    grievances = (
        select(func.count())
        .where(col(Ticket.requester_id) == Customer.id, col(Ticket.escalation_reason).in_(GRIEVANCES),
               col(Ticket.created_at) >= scan.as_of - GRIEVANCE)
        .scalar_subquery()
    )  # fmt: skip
    return (
        select_columns(
            col(Customer.id), col(Customer.name), col(Customer.leaving_said_at), col(Contract.ends_on),
            recent.label("recent"), before.label("before"),
            overdue.label("overdue"), grievances.label("grievances"),
        )
        .join(Customer, col(Customer.id) == col(Contract.customer_id))
        # A member who gave notice (cancelled) is past what the team can act on.
        .where(*ending_within(scan, scan.policy.threshold_days), col(Customer.opted_out).is_(False))
    )  # fmt: skip


def _ranked(scan: Scan, row: Any) -> Ranked:
    score, reasons = 0, []
    if row.leaving_said_at is not None and row.leaving_said_at > scan.as_of - LEAVING_SAID_HOLDS:
        score += SAID_LEAVING
        reasons.append(f"said on {row.leaving_said_at.date().isoformat()} they are leaving")
    if row.before >= HABIT and row.recent == 0:
        score += STOPPED
        reasons.append(f"not seen in four weeks, after {row.before} visits in the eight before")
    elif row.before >= HABIT and row.recent * 4 <= row.before:
        score += FELL
        reasons.append(f"came in {row.recent} times in four weeks, against {round(row.before / 2)} usually")
    if row.overdue:
        score += PER_OVERDUE * min(row.overdue, 2)
        reasons.append(f"{row.overdue} invoice{'s' if row.overdue > 1 else ''} overdue")
    if row.grievances:
        score += GRIEVED
        reasons.append("a complaint or dispute with the team in the last two months")
    days = (row.ends_on - scan.today).days
    if days <= 30:
        score += ENDING_SOON
    reasons.append(f"contract ends in {days} days")
    return Ranked(customer_id=row.id, name=row.name, score=min(score, 100), reasons=reasons)


def _find(session: Session, scan: Scan) -> list[Pattern]:
    ranked = [_ranked(scan, row) for row in session.exec(_signals(scan)).all()]
    listed = [entry for entry in ranked if entry.score >= LISTED_FROM]
    return ranked_list(scan, "Members at risk of cancelling", listed, "members")


def _create(session: Session, action: ProposedAction) -> str:
    return open_team_tickets(session, action, "At risk of cancelling: {name}")


AGENT = TeamAgent(
    type=AgentType.cancellation_risk,
    description="Each week, the members most likely to leave before their contract ends within N days, ranked with "
    "the reasons; approving it opens a ticket for the team about each.",
    threshold_days=90,
    find=_find,
    create=_create,
)
