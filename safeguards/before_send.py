"""The check right before a send: everything that may have changed since the proposal — opt-out, the
situation itself, the cooldown, the minimum gap, the channel's quiet hours on the customer's clock, a matter the
team has open with the customer, what the situation says to wait for (a payment reported on its way), the
customer's contact budget, the daily maximum — re-checked, and the delivery claimed in the same transaction, one at
a time per location."""

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.exceptions import ApplicationError

from domain.business_hours import on_clock, quiet_until
from domain.channels import LABELS
from models.db import session_scope
from models.messages import HOLD_RECHECK, SendCheck, SendVerdict
from models.tables import Customer, Location, ProposedAction
from safeguards.contact_budget import held, window_start
from safeguards.contact_history import last_contacts, lock_location_sends
from safeguards.cooldown import in_cooldown, in_min_gap
from safeguards.daily_max import claimed_today
from safeguards.open_matters import open_matters

# Why the situation is gone at a moment (paid, renewed, booked), or None while it is still there: the agent knows.
Resolved = Callable[[Session, ProposedAction, datetime], str | None]
# Why the situation says to wait, and until when (a payment the customer reported, on its way), or None: the agent's
# own rule.
Waiting = Callable[[Session, ProposedAction, datetime], SendVerdict | None]


def check_and_claim(
    engine: Engine, check: SendCheck, resolved: Resolved, waiting: Waiting | None = None
) -> SendVerdict:
    """Of two outreaches racing for the last slot of the day, or for one customer, only one goes out.
    A retry finds its own claim. The check names the proposal; its situation is read from the read model."""
    with session_scope(engine) as session:
        # Locked before anything is read (SQLite cannot turn a reading transaction into a writing one later).
        lock_location_sends(
            session,
            select(ProposedAction.location_id).where(col(ProposedAction.id) == check.action_id).scalar_subquery(),
        )
        action = session.get(ProposedAction, check.action_id)
        if action is None:
            raise ApplicationError(f"Proposal {check.action_id} is not recorded.", non_retryable=True)
        verdict = _verdict(session, action, check, resolved, waiting)
        if verdict.cancel_reason is None and verdict.held_reason is None:
            action.delivery_claimed_at = action.delivery_claimed_at or check.at
            session.add(action)
    return verdict


def _verdict(
    session: Session, action: ProposedAction, check: SendCheck, resolved: Resolved, waiting: Waiting | None
) -> SendVerdict:
    policy = check.policy
    customer = session.get(Customer, action.customer_id)
    location = session.get(Location, action.location_id)
    if customer is None or location is None or customer.opted_out:
        return SendVerdict(cancel_reason="The customer opted out of outreach.")
    gone = resolved(session, action, check.at)
    if gone:
        return SendVerdict(cancel_reason=gone)
    # A retried check must not see its own claim.
    contacts = last_contacts(
        session,
        [customer.id],
        action.agent_type,
        window_start(check.at, policy),
        col(ProposedAction.id) != check.action_id,
    )

    def local(at: datetime) -> str:
        return at.astimezone(ZoneInfo(location.time_zone)).strftime("%Y-%m-%d %H:%M")

    if in_cooldown(last := contacts.last_by_agent.get(customer.id), check.at, policy):
        assert last is not None
        return SendVerdict(
            cancel_reason=f"This agent already reached the customer on {local(last)}, "
            f"within its {policy.cooldown.days}-day cooldown."
        )
    if in_min_gap(last := contacts.last.get(customer.id), check.at, policy):
        assert last is not None
        hours = int(policy.min_gap.total_seconds() // 3600)
        return SendVerdict(
            cancel_reason=f"The customer was contacted on {local(last)}, within the {hours}-hour minimum gap."
        )
    quiet = location.quiet_hours.get(action.channel) if location.quiet_hours else None
    zone = customer.time_zone or location.time_zone
    if quiet and (until := quiet_until(check.at, quiet, zone)) is not None:
        return SendVerdict(
            held_reason=f"Quiet hours for {LABELS[action.channel]}: {quiet[0]} to {quiet[1]} on the customer's "
            f"clock; it goes out on {on_clock(until, zone)}.",
            held_until=until,
        )
    matter = open_matters(session, [customer.id], check.at).get(customer.id)
    if matter is not None:
        until = check.at + HOLD_RECHECK
        return SendVerdict(held_reason=f"{matter} Checked again on {on_clock(until, location.time_zone)}.",
                           held_until=until)  # fmt: skip
    if waiting is not None and (wait := waiting(session, action, check.at)) is not None:
        return wait
    spent = None if check.budget_waived else held(session, action, contacts, check.at, policy, location.time_zone)
    if spent is not None:
        return spent
    if claimed_today(session, location, action.agent_type, check.at, check.action_id) >= policy.daily_max:
        return SendVerdict(
            cancel_reason=f"Today's maximum of {policy.daily_max} {action.agent_type.value} deliveries "
            f"at {location.name} is reached."
        )
    return SendVerdict()
