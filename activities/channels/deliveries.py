"""The record of every delivery, whatever the channel and provider. Writing it is idempotent by our own
message id: a retried send finds the row and returns it instead of sending twice. With a sandbox provider,
the row is all there is: the outbox."""

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.exceptions import ApplicationError

from activities.db import add_timeline_entry
from agents.registry import AGENTS
from models.db import session_scope
from models.messages import Channel, DeliveryResult, Sender, TimelineEvent
from models.tables import Customer, Delivery, Location, ProposedAction


def delivery_result(delivery: Delivery) -> DeliveryResult:
    return DeliveryResult(
        delivery_id=delivery.id,
        provider=delivery.provider,
        message_id=delivery.message_id,
        sent_at=delivery.created_at,
    )


Send = Callable[[Session, ProposedAction, Customer, Location], Delivery]


def deliver_once(engine: Engine, delivery_id: str, action_id: str, customer_id: str, send: Send) -> DeliveryResult:
    """Run `send` unless this delivery already happened; either way, answer with the delivery."""
    with session_scope(engine) as session:
        existing = session.get(Delivery, delivery_id)
        if existing is not None:
            return delivery_result(existing)
        action, customer, location = _load_parties(session, action_id, customer_id)
        return delivery_result(send(session, action, customer, location))


def _load_parties(session: Session, action_id: str, customer_id: str) -> tuple[ProposedAction, Customer, Location]:
    action = session.get(ProposedAction, action_id)
    customer = session.get(Customer, customer_id)
    location = session.get(Location, action.location_id) if action else None
    if action is None or customer is None or location is None:
        raise ApplicationError(
            f"Proposal {action_id} or customer {customer_id} no longer exists.", type="NotFound", non_retryable=True
        )
    return action, customer, location


def record_delivery(
    session: Session,
    *,
    delivery_id: str,
    action: ProposedAction,
    conversation_id: str | None,
    channel: Channel,
    provider: str,
    to_address: str,
    from_address: str,
    subject: str,
    body_html: str,
    timeline_body: str,
    message_id: str,
    in_reply_to: str | None = None,
) -> Delivery:
    """Write the delivery and its timeline entry in one transaction, stamped with the send time."""
    sent_at = datetime.now(UTC)
    delivery = Delivery(
        id=delivery_id,
        proposed_action_id=action.id,
        conversation_id=conversation_id,
        location_id=action.location_id,
        customer_id=action.customer_id,
        agent_type=action.agent_type,
        channel=channel,
        provider=provider,
        status="sent",
        to_address=to_address,
        from_address=from_address,
        subject=subject,
        body_html=body_html,
        message_id=message_id,
        in_reply_to=in_reply_to,
        created_at=sent_at,
    )
    session.add(delivery)
    session.flush()
    delivered = AGENTS[action.agent_type].delivered
    if delivered is not None and conversation_id is None:  # the outreach itself, not a conversation's answer
        delivered(session, action.facts, sent_at)
    add_timeline_entry(
        session,
        TimelineEvent(
            id=f"delivery:{delivery_id}",
            action_id=action.id,
            conversation_id=conversation_id,
            sender=Sender.ai,
            channel=channel,
            body=timeline_body,
            at=sent_at,
        ),
        delivery_id=delivery_id,
    )
    return delivery
