"""What providers report about a delivery after it went out — delivered, bounced, dropped, a spam complaint, an
unsubscribe — applied once each (by the provider's event id) to the delivery, the timeline, the proposal and
the customer's consent. Events arrive verified (`api/webhooks`); an event about a delivery we do not know is
kept as seen and changes nothing."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.ids import DELIVERY_STATUS
from inbound import consent
from models.db import release
from models.messages import UNDELIVERABLE, Channel, DeliveryReport, DeliveryStatus, Sender, TimelineEvent
from models.tables import Customer, Delivery, ProviderEvent
from models.timeline import add_timeline_entry

# How far each status has come: a late or repeated event never moves a delivery back.
_PROGRESS = {DeliveryStatus.sending: 0, DeliveryStatus.sent: 1, DeliveryStatus.delivered: 2}


@dataclass(frozen=True)
class DeliveryEvent:
    provider: str
    event_id: str
    kind: str  # the provider's own name for it
    delivery_id: str | None
    provider_message_id: str | None
    status: DeliveryStatus | None  # what it makes of the delivery, if anything
    note: str | None  # for the timeline, if it belongs there
    opts_out: bool = False


def from_sendgrid(event: dict[str, Any]) -> DeliveryEvent | None:
    """One Event Webhook event; None when it is not one (no event id)."""

    def text(name: str) -> str | None:
        """A field as text a database takes (no lone surrogate, no NUL), or None when it is no text at all."""
        value = event.get(name)
        if isinstance(value, bool | int | float):
            value = str(value)
        if not isinstance(value, str):
            return None
        return value.encode("utf-8", errors="replace").decode("utf-8").replace("\x00", "")

    event_id, kind = text("sg_event_id"), text("event") or ""
    if not event_id:
        return None
    to, reason = text("email") or "the customer", text("reason") or text("response") or ""
    status, note, opts_out = None, None, False
    if kind == "delivered":
        status, note = DeliveryStatus.delivered, f"Delivered to {to}."
    elif kind == "bounce":
        status = DeliveryStatus.bounced
        note = (
            f"The email to {to} bounced ({reason or 'no reason given'}). "
            "Check the address, or reach the customer another way."
        )
    elif kind == "dropped":
        status = DeliveryStatus.dropped
        note = f"SendGrid did not send the email to {to} ({reason or 'no reason given'})."
    elif kind == "spamreport":
        note, opts_out = f"{to} marked the email as spam; they are opted out of outreach.", True
    elif kind in ("unsubscribe", "group_unsubscribe"):
        note, opts_out = f"{to} unsubscribed; they are opted out of outreach.", True
    message_id = text("sg_message_id")
    return DeliveryEvent(
        provider="sendgrid",
        event_id=event_id,
        kind=kind,
        delivery_id=text("delivery_id"),
        # SendGrid's event message id is its X-Message-Id with a suffix of its own after a dot.
        provider_message_id=message_id.partition(".")[0] if message_id else None,
        status=status,
        note=note,
        opts_out=opts_out,
    )


# Twilio's call statuses: what each makes of the call, and what the timeline says.
_CALL = {
    "initiated": (None, "Calling {to}."),
    "ringing": (None, "Ringing."),
    "in-progress": (None, "The customer answered."),
    "answered": (None, "The customer answered."),
    "completed": (DeliveryStatus.delivered, "The call ended after {duration} seconds."),
    "busy": (DeliveryStatus.failed, "The line of {to} was busy."),
    "no-answer": (DeliveryStatus.failed, "Nobody answered the call to {to}."),
    "failed": (DeliveryStatus.failed, "The call to {to} could not be placed (Twilio error {error})."),
    "canceled": (DeliveryStatus.failed, "The call to {to} was canceled before it was answered."),
}
_TEXT = {
    "delivered": (DeliveryStatus.delivered, "The text message to {to} was delivered."),
    "undelivered": (DeliveryStatus.failed, "The text message to {to} was not delivered (Twilio error {error})."),
    "failed": (DeliveryStatus.failed, "The text message to {to} could not be sent (Twilio error {error})."),
}


def from_twilio(delivery_id: str, event_id: str, params: dict[str, str]) -> DeliveryEvent:
    """One status callback of a call (`CallStatus`) or a text message (`MessageStatus`)."""
    is_call = "CallStatus" in params
    kind = params.get("CallStatus" if is_call else "MessageStatus", "")
    status, words = (_CALL if is_call else _TEXT).get(kind, (None, None))
    facts = {"to": params.get("To", "the customer"), "duration": params.get("CallDuration", "0"),
             "error": params.get("ErrorCode", "unknown")}  # fmt: skip
    return DeliveryEvent(
        provider="twilio",
        event_id=event_id,
        kind=kind,
        delivery_id=delivery_id,
        provider_message_id=params.get("CallSid" if is_call else "MessageSid"),
        status=status,
        note=words.format(**facts) if words else None,
    )


async def apply(session: Session, client: Client, events: list[DeliveryEvent]) -> int:
    """Apply each event once; answers how many were new."""
    applied = 0
    for event in events:
        key = f"{event.provider}:{event.event_id}"
        if session.get(ProviderEvent, key) is not None:
            continue
        delivery = session.get(Delivery, event.delivery_id) if event.delivery_id else None
        if delivery is not None:
            _record(session, delivery, event)  # again on a retry: it changes nothing twice
            # A text message only carries a call's links: the call is the outreach.
            outreach = delivery.conversation_id is None and delivery.channel is not Channel.sms
            if event.status in UNDELIVERABLE and outreach and delivery.proposed_action_id and event.note:
                # Before the event is marked seen: if the workflow cannot be told, the provider's retry can.
                release(session)
                await _report(client, delivery.proposed_action_id, delivery.id, event.status, event.note)
        session.add(ProviderEvent(id=key, delivery_id=delivery.id if delivery else None, received_at=_now()))
        session.commit()
        applied += 1
        customer = session.get(Customer, delivery.customer_id) if delivery is not None else None
        if event.opts_out and customer is not None and not customer.opted_out:
            await consent.opt_out(session, client, customer)
    return applied


def _record(session: Session, delivery: Delivery, event: DeliveryEvent) -> None:
    if event.provider_message_id and not delivery.provider_message_id:
        delivery.provider_message_id = event.provider_message_id  # the proof an ambiguous send went out
    # While `sending`, the send activity owns the status (it writes `sent` with the timeline entry).
    progress = _PROGRESS.get(delivery.status, 3)
    if event.status is not None and 0 < progress < _PROGRESS.get(event.status, 3):
        delivery.status, delivery.status_detail = event.status, event.note
    session.add(delivery)
    if event.note:
        entry = TimelineEvent(id=f"event:{event.provider}:{event.event_id}", action_id=delivery.proposed_action_id,
                              conversation_id=delivery.conversation_id, sender=Sender.system, channel=delivery.channel,
                              body=event.note, at=_now())  # fmt: skip
        add_timeline_entry(session, entry, delivery_id=delivery.id)


async def _report(client: Client, action_id: str, delivery_id: str, status: DeliveryStatus, detail: str) -> None:
    report = DeliveryReport(delivery_id=delivery_id, status=status, detail=detail)
    try:
        await client.get_workflow_handle(action_id).signal(DELIVERY_STATUS, report)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise  # the event is not marked seen, and the provider retries the webhook
        # The outreach has finished; the delivery and the timeline still say what happened.


def _now() -> datetime:
    return datetime.now(UTC)
