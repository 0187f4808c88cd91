"""Lead scoring: the leads of the last N days most worth a call, ranked each week for the team with the reasons — a
tour taken or booked, a booking or day pass, a reply to our outreach, a team or an office asked for, a fresh
inquiry. Approving it opens a ticket for the team about each."""

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, or_
from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from agents.base import LEAVING_SAID_HOLDS, Ranked, Scan, TeamAgent, has_booked, open_team_tickets, ranked_list
from models.messages import AgentType, Pattern, Sender, TourStatus
from models.tables import Conversation, Customer, LeadInquiry, ProposedAction, TimelineEntry, Tour

# What each signal adds to a lead's score (out of 100), and the score from which they are listed: what the lead
# did counts most, then what they asked for, then how fresh the inquiry is.
TOURED, TOUR_BOOKED, BOOKED, REPLIED, TEAM, OFFICE, FRESH = 35, 25, 25, 20, 20, 15, 15
LISTED_FROM = 30
FRESH_DAYS = 7
# "for 6 people", "team of 12", "8 desks": a team of this many or more is worth more than a desk.
TEAM_SIZE = 3
_TEAM = re.compile(r"\b(\d{1,3})\s*(?:people|persons|person|desks|seats|colleagues|of us)\b|\bteam of (\d{1,3})\b",
                   re.I)  # fmt: skip
_OFFICE = re.compile(r"\b(?:office|suite)s?\b", re.I)


def _tours(status: TourStatus) -> Any:
    return exists().where(col(Tour.customer_id) == Customer.id, col(Tour.status) == status)


def _signals(scan: Scan) -> Any:
    replied = exists().where(
        col(Conversation.customer_id) == Customer.id,
        exists().where(
            col(TimelineEntry.conversation_id) == Conversation.id, col(TimelineEntry.sender) == Sender.customer
        ),
    )
    chose_elsewhere = col(Customer.leaving_said_at) > scan.as_of - LEAVING_SAID_HOLDS
    return (
        select_columns(
            col(Customer.id), col(Customer.name), col(LeadInquiry.inquired_at), col(LeadInquiry.message),
            _tours(TourStatus.attended).label("toured"), _tours(TourStatus.scheduled).label("tour_booked"),
            has_booked(Customer.id).label("booked"), replied.label("replied"),
        )
        .join(Customer, col(Customer.id) == col(LeadInquiry.customer_id))
        .where(
            col(LeadInquiry.location_id) == scan.location.id,
            col(LeadInquiry.inquired_at) >= scan.as_of - timedelta(days=scan.policy.threshold_days),
            col(LeadInquiry.inquired_at) <= scan.as_of,
            col(LeadInquiry.converted).is_(False),
            col(Customer.kind) == "lead",
            col(Customer.opted_out).is_(False),
            or_(col(Customer.leaving_said_at).is_(None), ~chose_elsewhere),  # said they chose another space
        )
    )  # fmt: skip


def _team_size(message: str) -> int:
    sizes = [int(number) for match in _TEAM.finditer(message[:2_000]) for number in match.groups() if number]
    return max(sizes, default=0)


def _ranked(scan: Scan, row: Any) -> Ranked:
    score, reasons = 0, []
    if row.toured:
        score += TOURED
        reasons.append("took a tour")
    elif row.tour_booked:
        score += TOUR_BOOKED
        reasons.append("has a tour booked")
    if row.booked:
        score += BOOKED
        reasons.append("booked a desk, a room or a day pass")
    if row.replied:
        score += REPLIED
        reasons.append("wrote back to us")
    if (size := _team_size(row.message)) >= TEAM_SIZE:
        score += TEAM
        reasons.append(f"asked for {size} people")
    if _OFFICE.search(row.message[:2_000]):
        score += OFFICE
        reasons.append("asked about an office")
    days = (scan.as_of - row.inquired_at).days
    if days <= FRESH_DAYS:
        score += FRESH
    reasons.append(f"inquired {days} days ago")
    return Ranked(customer_id=row.id, name=row.name, score=min(score, 100), reasons=reasons)


def _find(session: Session, scan: Scan) -> list[Pattern]:
    ranked: dict[str, Ranked] = {}
    for row in session.exec(_signals(scan)).all():  # a lead who inquired twice is scored by their best inquiry
        entry = _ranked(scan, row)
        if entry.score >= LISTED_FROM and entry.score > getattr(ranked.get(row.id), "score", -1):
            ranked[row.id] = entry
    return ranked_list(scan, "Leads to call first", list(ranked.values()), "leads")


def _create(session: Session, action: ProposedAction) -> str:
    return open_team_tickets(session, action, "Lead to call: {name}")


AGENT = TeamAgent(
    type=AgentType.lead_scoring,
    description="Each week, the leads of the last N days most worth a call, ranked with the reasons (a tour, a "
    "booking, a reply, a team or an office asked for); approving it opens a ticket for the team about each.",
    threshold_days=30,
    find=_find,
    create=_create,
)
