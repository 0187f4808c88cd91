"""Conversions: the space's data saying an outreach's purpose was achieved — an invoice paid, a booking made, a
contract renewed, a lead turned member, a tour taken, a member seen again. The space's systems report them
(`/api/events/…`), the sandbox plays them, and a conversation's own tools make bookings.

Each is recorded once (its id names the kind and what it is about) and linked to the delivered proposal it
followed — the situation's own proposal for an invoice or a contract, the customer's latest first-booking or lead
outreach for a booking, their latest lead outreach for a new member, their latest tour outreach for a tour taken,
their re-engagement outreach for a visit after it (once) — so detection → proposal → conversation → outcome is one
chain. A conversation still going is resolved by it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from agents.due_invoice import reminder_keys
from domain.ids import CONVERTED, conversation_id
from models.messages import ActionStatus, AgentType, ConversionKind, Converted, Sender, TimelineEvent
from models.tables import CheckIn, Contract, Conversation, Conversion, Customer, Invoice, ProposedAction, Tour
from models.timeline import add_timeline_entry

_WHAT = {
    ConversionKind.invoice_paid: "Invoice {reference} paid.",
    ConversionKind.booking_made: "Booking {reference} made.",
    ConversionKind.contract_renewed: "Contract {reference} renewed.",
    ConversionKind.lead_converted: "The lead became a member.",
    ConversionKind.tour_attended: "Tour {reference} taken.",
    ConversionKind.member_returned: "The member came back in.",
}
# The agents whose outreach a booking or a new member follows, when no situation names it.
_FOLLOWS = {
    ConversionKind.booking_made: (AgentType.first_booking, AgentType.lead_follow_up),
    ConversionKind.lead_converted: (AgentType.lead_follow_up,),
    ConversionKind.tour_attended: (AgentType.tour_reminder, AgentType.tour_no_show, AgentType.lead_follow_up),
    ConversionKind.member_returned: (AgentType.re_engagement,),
}


@dataclass(frozen=True)
class Reported:
    kind: ConversionKind
    location_id: str
    customer_id: str
    reference: str
    occurred_at: datetime
    source: str
    amount_cents: int | None = None
    # The situation's proposals, when the conversion is about one (an invoice's reminders, a contract's renewal).
    dedup_keys: tuple[str, ...] = ()
    proposed_action_id: str | None = None  # known already: a conversation's own booking


def invoice_paid(invoice: Invoice, at: datetime, source: str) -> Reported:
    """The invoice marked paid (once: a later report keeps the first time), as a conversion to report."""
    invoice.paid_at = invoice.paid_at or at
    return Reported(ConversionKind.invoice_paid, invoice.location_id, invoice.customer_id, invoice.number,
                    invoice.paid_at, source, amount_cents=invoice.amount_cents,
                    dedup_keys=reminder_keys(invoice.number))  # fmt: skip


def contract_renewed(contract: Contract, at: datetime, source: str) -> Reported:
    contract.renewed = True
    return Reported(ConversionKind.contract_renewed, contract.location_id, contract.customer_id, contract.id, at,
                    source, dedup_keys=(f"{AgentType.contract_renewal.value}:{contract.id}",))  # fmt: skip


def booking_made(customer: Customer, booking_id: str, at: datetime, source: str) -> Reported:
    return Reported(ConversionKind.booking_made, customer.location_id, customer.id, booking_id, at, source)


def lead_converted(customer: Customer, at: datetime, source: str) -> Reported:
    customer.kind = "member"
    return Reported(ConversionKind.lead_converted, customer.location_id, customer.id, customer.id, at, source)


def tour_attended(tour: Tour, reference: str, source: str) -> Reported:
    return Reported(ConversionKind.tour_attended, tour.location_id, tour.customer_id, reference, tour.starts_at, source)


def member_returned(session: Session, visit: CheckIn, source: str) -> Reported | None:
    """A visit after an outreach about not being seen, as a conversion to report — once per outreach (later
    visits follow it too); None when no such outreach went out."""
    outreach = col(ProposedAction.agent_type).in_(_FOLLOWS[ConversionKind.member_returned])
    action = _latest(session, visit.location_id, visit.customer_id, outreach)
    if action is None or action.sent_at is None or action.sent_at > visit.at:
        return None
    return Reported(ConversionKind.member_returned, visit.location_id, visit.customer_id, action.id, visit.at, source,
                    proposed_action_id=action.id)  # fmt: skip


def record(session: Session, reported: Reported) -> tuple[Conversion, bool]:
    """Record the conversion in the caller's transaction, linked and on the proposal's timeline; answers it, and
    whether it is new (a repeated report changes nothing)."""
    conversion_id = f"{reported.kind.value}:{reported.location_id}:{reported.reference}"
    existing = session.get(Conversion, conversion_id)
    if existing is not None:
        return existing, False
    action = _followed(session, reported)
    conversation = session.get(Conversation, conversation_id(action.id)) if action else None
    conversion = Conversion(
        id=conversion_id, kind=reported.kind, location_id=reported.location_id, customer_id=reported.customer_id,
        reference=reported.reference, amount_cents=reported.amount_cents,
        proposed_action_id=action.id if action else None, conversation_id=conversation.id if conversation else None,
        source=reported.source, occurred_at=reported.occurred_at, recorded_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(conversion)
    if action is not None:
        add_timeline_entry(session, TimelineEvent(
            id=f"conversion:{conversion_id}", action_id=action.id, conversation_id=conversion.conversation_id,
            sender=Sender.system, body=f"Converted: {note(conversion)}", at=reported.occurred_at,
        ))  # fmt: skip
    return conversion, True


async def report(session: Session, client: Client, reported: Reported) -> Conversion:
    """Record a conversion the space's systems report (committing with what the caller changed) and resolve the
    conversation it ends, if one is still going."""
    conversion, new = record(session, reported)
    session.commit()
    if new and conversion.conversation_id is not None:
        try:
            await client.get_workflow_handle(conversion.conversation_id).signal(
                CONVERTED, Converted(conversion_id=conversion.id, note=note(conversion))
            )
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise  # the conversion is kept; the conversation ends on its own
    return conversion


def note(conversion: Conversion) -> str:
    return _WHAT[conversion.kind].format(reference=conversion.reference)


def _followed(session: Session, reported: Reported) -> ProposedAction | None:
    """The delivered proposal the conversion followed, if any."""
    if reported.proposed_action_id is not None:
        return session.get(ProposedAction, reported.proposed_action_id)
    which = (col(ProposedAction.dedup_key).in_(reported.dedup_keys) if reported.dedup_keys
             else col(ProposedAction.agent_type).in_(_FOLLOWS[reported.kind]))  # fmt: skip
    return _latest(session, reported.location_id, reported.customer_id, which)


def _latest(session: Session, location_id: str, customer_id: str, which: Any) -> ProposedAction | None:
    """The customer's latest delivered outreach of `which` (an SQL condition on the proposals)."""
    query = select(ProposedAction).where(
        col(ProposedAction.location_id) == location_id,
        col(ProposedAction.customer_id) == customer_id,
        col(ProposedAction.status) == ActionStatus.sent,
        which,
    )
    return session.exec(query.order_by(col(ProposedAction.created_at).desc())).first()
