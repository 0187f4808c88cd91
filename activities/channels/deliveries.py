"""Exactly-once delivery, whatever the channel and provider.

1. The delivery row, keyed by our own id, is written (`sending`) and committed before the provider is called.
2. The provider is called outside any transaction.
3. The row becomes `sent`, with the provider's id, the timeline entry and the agent's follow-up mark.

A retried activity reads the row first: a finished delivery is answered as it is; a `sending` row means an
earlier attempt stopped somewhere between 1 and 3 (a crash, a dropped connection), so the provider is asked
whether it has the message (`confirm`) — never sent blindly again. With the sandbox provider the row is the
whole outbox.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from agents.registry import AGENTS
from models.db import session_scope
from models.messages import Channel, DeliveryResult, DeliveryStatus, Sender, TimelineEvent
from models.tables import Customer, Delivery, Location, ProposedAction
from models.timeline import add_timeline_entry
from providers.outcomes import Ambiguous, Attempt, Refused, Unavailable, Unconfirmed


@dataclass(frozen=True)
class Prepared:
    """What a channel is about to send: the row to write first, the timeline's words and who they are from, the
    provider call (which answers the provider's id for the message), and how to ask that provider about an
    attempt whose outcome is not known."""

    delivery: Delivery
    timeline_body: str
    send: Callable[[], str]
    confirm: Callable[[Attempt], str | None]
    sender: Sender = Sender.ai


# The proposal is None for the team's answers in a members' chat ticket, which no outreach started.
Prepare = Callable[[Session, ProposedAction | None, Customer, Location], Prepared]


def delivery_result(delivery: Delivery) -> DeliveryResult:
    return DeliveryResult(
        delivery_id=delivery.id,
        provider=delivery.provider,
        message_id=delivery.message_id,
        sent_at=delivery.created_at,
    )


def deliver_once(
    engine: Engine, delivery_id: str, action_id: str | None, customer_id: str, prepare: Prepare
) -> DeliveryResult:
    """Send unless this delivery already went out (or may have); either way, answer with the delivery."""
    with session_scope(engine) as session:
        row = session.get(Delivery, delivery_id)
        if row is not None and row.status is not DeliveryStatus.sending:
            return _settled(row)
        action, customer, location = _load_parties(session, action_id, customer_id)
        prepared = prepare(session, action, customer, location)
        if row is None:
            session.add(prepared.delivery)
        else:
            found = _confirm(session, row, prepared.confirm)
            if found is not None:
                return _complete(session, row, found, prepared)
    # A worker that dies from here on is noticed at the heartbeat timeout, not the activity's whole timeout.
    activity.heartbeat()
    try:
        provider_message_id = prepared.send()
    except Refused as refused:
        _set_status(engine, delivery_id, DeliveryStatus.failed, str(refused))
        raise ApplicationError(str(refused), type="DeliveryRefused", non_retryable=True) from refused
    except Unavailable as unavailable:
        _forget(engine, delivery_id)  # nothing went out: the next attempt starts afresh
        raise ApplicationError(str(unavailable), type="ProviderUnavailable") from unavailable
    except Ambiguous as ambiguous:
        # The row stays `sending`: the next attempt asks the provider before anything else.
        raise ApplicationError(str(ambiguous), type="DeliveryAmbiguous") from ambiguous
    with session_scope(engine) as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None, "the row was committed before the provider was called"
        return _complete(session, row, provider_message_id, prepared)


def _settled(row: Delivery) -> DeliveryResult:
    if row.status is DeliveryStatus.failed:
        raise ApplicationError(row.status_detail or "The provider refused this delivery.", type="DeliveryRefused",
                               non_retryable=True)  # fmt: skip
    if row.status is DeliveryStatus.unknown:
        raise ApplicationError(row.status_detail or "Whether this delivery went out is unknown.",
                               type="DeliveryUnknown", non_retryable=True)  # fmt: skip
    return delivery_result(row)


def _confirm(session: Session, row: Delivery, confirm: Callable[[Attempt], str | None]) -> str | None:
    attempt = Attempt(delivery_id=row.id, to_address=row.to_address, attempted_at=row.created_at,
                      provider_message_id=row.provider_message_id)  # fmt: skip
    try:
        return confirm(attempt)
    except Unconfirmed as unconfirmed:
        if not unconfirmed.final:
            raise ApplicationError(str(unconfirmed), type="AwaitingConfirmation") from unconfirmed
        row.status, row.status_detail = DeliveryStatus.unknown, str(unconfirmed)
        session.add(row)
        session.commit()
        raise ApplicationError(str(unconfirmed), type="DeliveryUnknown", non_retryable=True) from unconfirmed


def _complete(session: Session, row: Delivery, provider_message_id: str, prepared: Prepared) -> DeliveryResult:
    """Mark the delivery sent, follow the situation up, and put the message on the timeline; once."""
    if row.status is DeliveryStatus.sending:
        row.status = DeliveryStatus.sent
        row.provider_message_id = row.provider_message_id or provider_message_id
        session.add(row)
        action = session.get(ProposedAction, row.proposed_action_id) if row.proposed_action_id else None
        delivered = AGENTS[action.agent_type].delivered if action is not None else None
        if delivered is not None and action is not None and row.conversation_id is None:  # the outreach itself
            delivered(session, action.facts, row.created_at)
        add_timeline_entry(
            session,
            TimelineEvent(id=f"delivery:{row.id}", action_id=row.proposed_action_id,
                          conversation_id=row.conversation_id, sender=prepared.sender, channel=row.channel,
                          body=prepared.timeline_body, at=row.created_at),
            delivery_id=row.id,
        )  # fmt: skip
    return delivery_result(row)


def _set_status(engine: Engine, delivery_id: str, status: DeliveryStatus, detail: str) -> None:
    with session_scope(engine) as session:
        row = session.get(Delivery, delivery_id)
        if row is not None:
            row.status, row.status_detail = status, detail
            session.add(row)


def _forget(engine: Engine, delivery_id: str) -> None:
    with session_scope(engine) as session:
        row = session.get(Delivery, delivery_id)
        if row is not None and row.status is DeliveryStatus.sending:
            session.delete(row)


def _load_parties(
    session: Session, action_id: str | None, customer_id: str
) -> tuple[ProposedAction | None, Customer, Location]:
    action = session.get(ProposedAction, action_id) if action_id else None
    customer = session.get(Customer, customer_id)
    location = session.get(Location, customer.location_id) if customer else None
    if (action_id and action is None) or customer is None or location is None:
        raise ApplicationError(
            f"Proposal {action_id} or customer {customer_id} no longer exists.", type="NotFound", non_retryable=True
        )
    return action, customer, location


def new_delivery(
    *,
    delivery_id: str,
    action: ProposedAction | None,
    customer: Customer,
    conversation_id: str | None,
    channel: Channel,
    provider: str,
    to_address: str,
    from_address: str,
    subject: str,
    body_html: str,
    message_id: str,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> Delivery:
    """The row written before the provider is called, stamped with the attempt's time."""
    return Delivery(
        id=delivery_id,
        proposed_action_id=action.id if action else None,
        conversation_id=conversation_id,
        location_id=customer.location_id,
        customer_id=customer.id,
        agent_type=action.agent_type if action else None,
        channel=channel,
        provider=provider,
        status=DeliveryStatus.sending,
        to_address=to_address,
        from_address=from_address,
        subject=subject,
        body_html=body_html,
        message_id=message_id,
        in_reply_to=in_reply_to,
        headers=headers,
        created_at=datetime.now(UTC),
    )
