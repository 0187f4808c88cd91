"""The contact budget: one per customer across every agent — at most `contact_budget` outreaches in
`contact_window` — counted by delivery claims like the cooldown. When two agents want the same customer, the more
urgent outreach goes first. An outreach over the budget is held (deferred, with its reason) until the window has
room again, never dropped; detection proposes nothing to a customer whose budget is spent."""

from datetime import datetime

from sqlmodel import Session, col, select

from domain.business_hours import on_clock
from models.messages import HOLD_RECHECK, SENDING, AgentPolicy, Priority, SendVerdict
from models.tables import ProposedAction
from safeguards.contact_history import Contacts


def window_start(at: datetime, policy: AgentPolicy) -> datetime:
    return at - policy.contact_window


def spent(contacts: Contacts, customer_id: str, policy: AgentPolicy) -> bool:
    """The customer was contacted as often as the budget allows within its window."""
    count, _ = contacts.since.get(customer_id, (0, None))
    return count >= policy.contact_budget


def held(
    session: Session, action: ProposedAction, contacts: Contacts, at: datetime, policy: AgentPolicy, time_zone: str
) -> SendVerdict | None:
    """Why the outreach waits, and until when, or None: the budget is spent (until its oldest contact leaves the
    window), or its last places are kept for more urgent outreaches approved for the same customer."""
    assert action.customer_id is not None, "a customer's outreach: a team's proposal is sent to no one"
    count, oldest = contacts.since.get(action.customer_id, (0, at))
    budget = f"The customer's contact budget ({policy.contact_budget} in {policy.contact_window.days} days)"
    if spent(contacts, action.customer_id, policy):
        until = oldest + policy.contact_window
        return SendVerdict(
            held_reason=f"{budget} is spent; it has room again on {on_clock(until, time_zone)}.", held_until=until
        )
    urgent = more_urgent(session, action)
    if urgent and count + len(urgent) >= policy.contact_budget:
        agents = ", ".join(sorted({other.agent_type.value for other in urgent}))
        until = at + HOLD_RECHECK
        return SendVerdict(
            held_reason=f"{budget} is kept for a more urgent outreach ({agents}); checked again on "
            f"{on_clock(until, time_zone)}.",
            held_until=until,
        )
    return None


def more_urgent(session: Session, action: ProposedAction) -> list[ProposedAction]:
    """Outreaches to the same customer decided for delivery, not yet claimed, of a higher priority."""
    higher = [priority for priority in Priority if priority.rank > action.priority.rank]
    if not higher:
        return []
    return list(
        session.exec(
            select(ProposedAction).where(
                col(ProposedAction.customer_id) == action.customer_id,
                col(ProposedAction.id) != action.id,
                col(ProposedAction.status).in_(SENDING),
                col(ProposedAction.delivery_claimed_at).is_(None),
                col(ProposedAction.priority).in_(higher),
            )
        ).all()
    )
