"""Read-model lookups shared by routers. Objects of other locations are reported as missing, so
an operator cannot learn what exists elsewhere."""

from typing import Any

from fastapi import HTTPException, status
from sqlalchemy import ColumnElement, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from api.auth import can_access
from api.schemas import AttachmentRef, Source, TimelineItem
from models.messages import Channel, InboundKind, InboundStatus
from models.tables import (
    Conversation,
    Conversion,
    Delivery,
    HelpdeskDepartment,
    InboundAttachment,
    InboundMessage,
    Location,
    Operator,
    ProposedAction,
    TimelineEntry,
)


def visible_action(session: Session, operator: Operator, action_id: str) -> ProposedAction:
    action = session.get(ProposedAction, action_id)
    if action is None or not can_access(operator, action.location_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No proposed action with id {action_id!r}.")
    return action


def visible_conversation(session: Session, operator: Operator, conversation_id: str) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or not can_access(operator, conversation.location_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No conversation with id {conversation_id!r}.")
    return conversation


def of_conversation(
    table: type[TimelineEntry] | type[Conversion] | type[Delivery], action_id: str | None, conversation_id: str | None
) -> ColumnElement[bool]:
    """Rows of an outreach (its proposal onwards), or — for a members' chat, which no outreach started — of the
    conversation."""
    if action_id:
        return col(table.proposed_action_id) == action_id
    return col(table.conversation_id) == conversation_id


def timeline(session: Session, action_id: str | None, conversation_id: str | None = None) -> list[TimelineItem]:
    """Every message and event of an outreach, from proposal to the last conversation turn (of a members' chat,
    from its first message), each with where it can be found: the delivery that sent it, or the mail it came home
    in."""
    rows = session.exec(
        select(TimelineEntry, Delivery, InboundMessage)
        .join(Delivery, col(Delivery.id) == col(TimelineEntry.delivery_id), isouter=True)
        .join(InboundMessage, col(InboundMessage.id) == col(TimelineEntry.inbound_message_id), isouter=True)
        .where(of_conversation(TimelineEntry, action_id, conversation_id))
        .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
    ).all()
    attachments = attachments_of(session, [mail.id for _, _, mail in rows if mail is not None])
    return [
        TimelineItem.model_validate({
            **entry.model_dump(),
            "source": _sent(delivery) if delivery
            else _came_in(mail, entry.channel, attachments.get(mail.id, [])) if mail else None,
        })
        for entry, delivery, mail in rows
    ]  # fmt: skip


def conversions_of(session: Session, action_id: str | None, conversation_id: str | None = None) -> list[dict[str, Any]]:
    """What the outreach (or the members' chat) achieved (an invoice paid, a booking made), oldest first."""
    found = session.exec(select(Conversion).where(of_conversation(Conversion, action_id, conversation_id))
                         .order_by(col(Conversion.occurred_at))).all()  # fmt: skip
    return [conversion.model_dump() for conversion in found]


def _sent(delivery: Delivery) -> Source:
    # Tickets of the built-in help desk are ours to link to; the providers' consoles need their own login.
    link = f"/api/helpdesk/tickets/{delivery.id}" if delivery.provider == "helpdesk" else None
    return Source(provider=delivery.provider, provider_id=delivery.provider_message_id, message_id=delivery.message_id,
                  status=delivery.status, link=link)  # fmt: skip


_LABELS = {
    InboundKind.auto_reply: "Automatic reply: recorded, not answered",
    InboundKind.bounce: "Bounce: the email could not be delivered",
    InboundKind.team_reply: "Sent by the team from their own mail client",
}
_REPLY_LABELS = {"mailbox": "Replied via email", "sendgrid": "Replied to the AI email",
                 "sandbox": "Simulated reply (sandbox)", "helpdesk": "Commented on the ticket"}  # fmt: skip


def _came_in(mail: InboundMessage, channel: Channel | None, attachments: list[AttachmentRef]) -> Source:
    label = _LABELS.get(mail.kind) or _REPLY_LABELS.get(mail.source)
    if mail.source == "sendgrid" and channel is Channel.helpdesk:
        label = "Commented on the ticket by email"
    return Source(provider=mail.source, message_id=mail.message_id, kind=mail.kind, label=label,
                  link=f"/api/inbound/{mail.id}", attachments=attachments)  # fmt: skip


def attachments_of(session: Session, inbound_ids: list[str]) -> dict[str, list[AttachmentRef]]:
    """The attachments of these inbound mails, by mail, in the order they came."""
    found: dict[str, list[AttachmentRef]] = {}
    if not inbound_ids:
        return found
    # Everything but the bytes, which may be megabytes each.
    rows = session.execute(
        sa_select(col(InboundAttachment.id), col(InboundAttachment.inbound_message_id),
                  col(InboundAttachment.filename), col(InboundAttachment.content_type), col(InboundAttachment.size),
                  col(InboundAttachment.content).is_not(None))
        .where(col(InboundAttachment.inbound_message_id).in_(inbound_ids))
    ).all()  # fmt: skip
    # In the order they came: by their position in the mail, as a number (10 comes after 9).
    for attachment_id, mail_id, filename, content_type, size, kept in sorted(
        rows, key=lambda row: int(row[0].rpartition(":")[2])
    ):
        position = attachment_id.rpartition(":")[2]
        link = f"/api/inbound/{mail_id}/attachments/{position}" if kept else None
        found.setdefault(mail_id, []).append(AttachmentRef(filename=filename, content_type=content_type, size=size,
                                                           kept=bool(kept), link=link))  # fmt: skip
    return found


def ticket_thread(session: Session, action_id: str | None, conversation_id: str | None) -> list[str]:
    """The Message-IDs of a ticket's email thread, oldest first: what we emailed about the ticket and what the
    customer answered to it."""
    sent = session.exec(
        select(Delivery.message_id, Delivery.created_at, Delivery.id).where(
            of_conversation(Delivery, action_id, conversation_id), col(Delivery.channel) == Channel.helpdesk,
            col(Delivery.provider) != "helpdesk")  # the ticket itself is not a mail
    ).all()  # fmt: skip
    ours = {delivery_id for _, _, delivery_id in sent}
    answered = session.exec(
        select(InboundMessage.message_id, InboundMessage.received_at).where(
            col(InboundMessage.delivery_id).in_(ours), col(InboundMessage.status) == InboundStatus.routed)
    ).all() if ours else []  # fmt: skip
    thread = [(at, message_id) for message_id, at, _ in sent] + [(at, message_id) for message_id, at in answered]
    return [message_id for _, message_id in sorted(thread)]


def visible_location(session: Session, operator: Operator, location_id: str) -> Location:
    location = session.get(Location, location_id)
    if location is None or not can_access(operator, location_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No location with id {location_id!r}.")
    return location


def seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[Any]:
    """SQL for the seconds from `start` to `end`, so averages over many rows stay in the database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86_400.0


def department_problem(session: Session, department_id: str, location_id: str) -> str | None:
    """Why a ticket at `location_id` cannot go to `department_id`, or None."""
    department = session.get(HelpdeskDepartment, department_id)
    if department is None or department.location_id != location_id:
        return (f"There is no help-desk department {department_id!r} at this location; choose one of "
                f"GET /api/helpdesk/departments?location_id={location_id}.")  # fmt: skip
    return None


def team_of(session: Session, location_id: str) -> list[Operator]:
    """The operators of a location (its own, and every admin), by name: who its tickets can be assigned to."""
    operators = session.exec(select(Operator).order_by(col(Operator.name), col(Operator.id))).all()
    return [operator for operator in operators if can_access(operator, location_id)]
