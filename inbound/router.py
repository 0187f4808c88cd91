"""One router for every mail that comes home — a reply to the AI email's reply address (SendGrid Inbound Parse),
a mail read from a connected mailbox (its inbox and its Sent folder), a simulated reply — deciding which
conversation it belongs to and delivering it there exactly once.

Matching never guesses from subjects or names:
- a reply to the AI email is matched by the signed reply token in the address it was sent to, and nothing else;
- a mail in a connected mailbox is matched by **any** Message-ID of its `References` / `In-Reply-To` against
  the messages of our threads (what we sent, and what came home in them), and only when it is from the
  customer of that conversation (or an address they wrote from before in it): a stranger answering a
  forwarded message does not join the thread. The mailbox owner's own answers, sent from their mail client,
  join it as the team's.

Every mail is kept first (`inbound_message`, keyed by its Message-ID) and routed after, so the same mail
delivered twice is routed once, a crash between the two is finished by the next delivery (the webhook's retry,
the next sync), and the workflows drop a message id they already took (a crash after the signal). What matches
nothing is kept as `unmatched`, with the reason, for an operator to attach — never dropped.

A reply goes to the outreach while it runs; once it is over, to its conversation by signal-with-start: a run
still going takes it, or a new run reopens the conversation. A late reply is answered, never lost.
"""

import asyncio
import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from agents.policy import CONVERSATION_IDLE
from domain import reply_tokens
from domain.content import html_to_text
from domain.ids import CONVERSATION_WORKFLOW, CUSTOMER_REPLIED, conversation_id
from inbound import delivery_events
from inbound.mail import InboundMail, made_message_id, parse, without_quoted
from models.db import release
from models.messages import (
    ActionStatus,
    Channel,
    ConversationInput,
    ConversationStatus,
    CustomerMessage,
    DeliveryStatus,
    InboundKind,
    InboundStatus,
    Sender,
    TimelineEvent,
)
from models.tables import (
    Conversation,
    Customer,
    Delivery,
    EmailAccount,
    InboundAttachment,
    InboundMessage,
    ProposedAction,
    Ticket,
)
from models.timeline import add_timeline_entry
from providers.helpdesk import comment_from_customer
from settings import Settings


@dataclass(frozen=True)
class Router:
    """What routing needs from the process: the workflow client, the reply tokens' secret, and how large an
    attachment may be and still be kept."""

    client: Client
    task_queue: str
    reply_secret: str
    attachment_max_bytes: int


@dataclass(frozen=True)
class Arrival:
    """How a message came in: `sendgrid` (to a reply address), `mailbox` (read from `account`), `helpdesk` (a
    comment the customer made through the help desk) or `sandbox` (a simulated reply)."""

    source: str
    account: EmailAccount | None = None


@dataclass(frozen=True)
class _Match:
    delivery: Delivery | None
    problem: str | None = None
    location_id: str | None = None
    kind: InboundKind | None = None  # when matching decides what the mail is (the team's own answer)


def router_for(client: Client, settings: Settings) -> Router:
    return Router(client=client, task_queue=settings.task_queue, reply_secret=settings.reply_secret,
                  attachment_max_bytes=settings.inbound_attachment_max_bytes)  # fmt: skip


class NothingToReplyTo(Exception):
    """The outreach has not been delivered, so a reply cannot be about it."""


# What a workflow is handed of a customer's message (the whole of it stays in the database): far below the
# workflow service's payload limit (2 MB), and more than any answer needs.
WORKFLOW_BODY_MAX_CHARS = 32_000
# A failed mail's text is its raw bytes as text, this far, for an operator to read; the bytes are kept whole.
_FAILED_TEXT_CHARS = 64_000
# What says the database or the workflow service is away, not that the mail is bad: raised, for the sender to
# try the same mail again (the webhook's retry, the next sync). The lazy workflow client reports a server it
# cannot reach with a RuntimeError.
_AWAY = (OperationalError, InterfaceError, RuntimeError)


def inbound_id(message_id: str) -> str:
    """The row of a mail, from its Message-ID: the same mail, however often it arrives, is one row."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"inbound-mail:{message_id}"))


async def receive(session: Session, router: Router, mail: InboundMail, arrival: Arrival) -> InboundMessage:
    """Keep the mail (in a thread: a stranger's mail can be megabytes to match and write, and the event loop serves
    everyone else meanwhile), and route it unless it already was."""
    row = await asyncio.to_thread(_kept, session, router, mail, arrival)
    if row.status is InboundStatus.received:
        await route(session, router, row)
    return row


async def receive_raw(
    session: Session, router: Router, raw: bytes, arrival: Arrival, also_to: tuple[str, ...] = ()
) -> InboundMessage:
    """Read a raw mail, keep it and route it (`also_to`: recipients known from the envelope). Reading runs in a
    thread: it is work on a stranger's bytes, and the event loop serves everyone else meanwhile. A mail that
    cannot be read, kept or routed is kept as `failed`, with the reason and its raw bytes, never raised (the
    same mail again finds that row); only what says the database or the workflow service is away is raised,
    for the same mail to be tried again."""
    try:
        mail = await asyncio.to_thread(parse, raw)
    except Exception as error:  # whatever strange bytes make the `email` package raise
        problem = f"It could not be read as an email ({type(error).__name__})."
        return keep_failed(session, raw, arrival, made_message_id(raw), problem)
    mail = dataclasses.replace(mail, recipients=tuple(dict.fromkeys((*mail.recipients, *also_to))))
    try:
        return await receive(session, router, mail, arrival)
    except Exception as error:
        problem = _failure(error)
        session.rollback()
        return keep_failed(session, raw, arrival, mail.message_id, problem)


async def route_again(session: Session, router: Router, row: InboundMessage) -> None:
    """Route a mail an earlier attempt kept and did not route; one that cannot be routed is marked `failed`."""
    try:
        await route(session, router, row)
    except Exception as error:
        problem = _failure(error)
        session.rollback()
        keep_failed(session, None, Arrival(row.source), row.message_id, problem)


def _failure(error: Exception) -> str:
    """Why a mail failed, for the operator; what says the database or the workflow service is away is raised
    again instead, for the same mail to be tried again."""
    if isinstance(error, _AWAY) or (isinstance(error, RPCError) and error.status != RPCStatusCode.INVALID_ARGUMENT):
        raise error
    if isinstance(error, RPCError):
        return ("The workflow service refused it (it is too large, say), so no conversation got it; read it here "
                "and answer it yourself.")  # fmt: skip
    return f"It could not be kept or routed ({type(error).__name__}); read it here."


def keep_failed(session: Session, raw: bytes | None, arrival: Arrival, message_id: str, problem: str) -> InboundMessage:
    """Keep a mail that could not be handled as `failed`, with why: its raw bytes (when they were read), and as
    much of them as text as an operator needs to read it. One kept before keeps what it had."""
    message_id = message_id.replace("\x00", "")
    row = session.get(InboundMessage, inbound_id(message_id))
    if row is None:
        row = InboundMessage(
            id=inbound_id(message_id), source=arrival.source, message_id=message_id, sender="", subject="",
            email_account_id=arrival.account.id if arrival.account else None,
            location_id=arrival.account.location_id if arrival.account else None, kind=InboundKind.reply,
            text=(raw or b"")[:_FAILED_TEXT_CHARS].decode("utf-8", errors="replace").replace("\x00", ""), reply="",
            status=InboundStatus.failed, received_at=datetime.now(UTC),
        )  # fmt: skip
    row.status, row.problem, row.raw = InboundStatus.failed, problem, raw or row.raw
    session.add(row)
    session.commit()
    return row


def forget_unmatched(session: Session, before: datetime) -> int:
    """Delete the mail that matched no conversation (or failed) and came before `before`, with its attachments'
    records: what no operator attached in its time is a stranger's, not ours to keep. Answers how many."""
    old = select(InboundMessage.id).where(
        col(InboundMessage.status).in_([InboundStatus.unmatched, InboundStatus.failed]),
        col(InboundMessage.received_at) < before,
    )
    ids = list(session.exec(old).all())
    for batch in range(0, len(ids), 500):
        chunk = ids[batch : batch + 500]
        session.execute(delete(InboundAttachment).where(col(InboundAttachment.inbound_message_id).in_(chunk)))
        session.execute(delete(InboundMessage).where(col(InboundMessage.id).in_(chunk)))
        session.commit()
    return len(ids)


async def attach(session: Session, router: Router, row: InboundMessage, action: ProposedAction) -> InboundMessage:
    """An operator puts an unmatched mail in a conversation: it is routed as if it had matched, and its sender
    becomes an address the customer may write from in that conversation."""
    delivery = last_delivery(session, action.id)
    if delivery is None:
        raise NothingToReplyTo(
            f"Nothing was sent for proposal {action.id} yet, so a mail cannot answer it; attach it to a "
            "proposal that was sent."
        )
    row.status, row.problem = InboundStatus.received, None
    row.proposed_action_id, row.delivery_id, row.location_id = action.id, delivery.id, action.location_id
    session.add(row)
    session.commit()
    await route(session, router, row)
    return row


async def simulate(session: Session, router: Router, action: ProposedAction, body: str) -> InboundMessage:
    """The sandbox's customer replies to the last message of an outreach, as if by mail to its reply address."""
    delivery = last_delivery(session, action.id)
    if action.status != ActionStatus.sent or delivery is None:
        raise NothingToReplyTo(
            f"This proposal is {action.status}, so nothing was sent yet to reply to; approve it first."
        )
    return await _written_here(session, router, delivery, body, "sandbox")


async def requester_comment(session: Session, router: Router, ticket: Ticket, body: str) -> InboundMessage:
    """The customer comments on their ticket through the help desk itself (its portal or its API): routed like
    a reply to the ticket's email."""
    if ticket.proposed_action_id is None and ticket.conversation_id is None:
        raise NothingToReplyTo(
            f"Ticket {ticket.number} follows no proposal and no chat, so no conversation follows it."
        )
    delivery = last_delivery(session, ticket.proposed_action_id, Channel.helpdesk, ticket.conversation_id)
    if delivery is None:
        raise NothingToReplyTo(f"Nothing about ticket {ticket.number} was emailed to the customer yet, so their "
                               "comment answers nothing; answer the ticket first, or add what they said as the "
                               "team.")  # fmt: skip
    return await _written_here(session, router, delivery, body, "helpdesk")


async def _written_here(session: Session, router: Router, delivery: Delivery, body: str,
                        source: str) -> InboundMessage:  # fmt: skip
    """A customer's message that came through us rather than by mail, kept and routed as mail is."""
    customer = session.get(Customer, delivery.customer_id)
    address, name = (customer.email or "", customer.name) if customer else ("", "")
    mail = InboundMail(message_id=f"<{uuid.uuid4()}@{source}.invalid>", sender=address, sender_name=name,
                       recipients=(), subject=f"Re: {delivery.subject}", references=(delivery.message_id,),
                       text=body, reply=body, kind=InboundKind.reply)  # fmt: skip
    row = _keep(session, router, mail, Arrival(source), _Match(delivery, location_id=delivery.location_id))
    await route(session, router, row)
    return row


def last_delivery(
    session: Session, action_id: str | None, channel: Channel | None = None, conversation_id: str | None = None
) -> Delivery | None:
    """The latest delivery of an outreach; for a members' chat, which has none, of its conversation."""
    mine = (
        col(Delivery.proposed_action_id) == action_id if action_id else col(Delivery.conversation_id) == conversation_id
    )
    query = select(Delivery).where(mine)
    if channel is not None:
        query = query.where(col(Delivery.channel) == channel)
    return session.exec(query.order_by(col(Delivery.created_at).desc())).first()


# --- matching ------------------------------------------------------------------------------------


def _match(session: Session, router: Router, mail: InboundMail, arrival: Arrival) -> _Match:
    if mail.bounce is not None and (bounced := _bounced_delivery(session, router, mail, arrival)) is not None:
        return _Match(bounced, location_id=bounced.location_id)
    if arrival.account is not None:
        return _by_thread(session, mail, arrival.account)
    return _by_token(session, router, mail)


def _bounced_delivery(session: Session, router: Router, mail: InboundMail, arrival: Arrival) -> Delivery | None:
    """The delivery a bounce reports, of the location it came home to only: a report read from one location's
    mailbox, or sent to a reply address (signed for one location), names a Message-ID anyone could copy, and
    must not fail another location's delivery."""
    assert mail.bounce is not None
    location: str | None
    if arrival.account is not None:
        location = arrival.account.location_id
    else:
        token = _by_token(session, router, mail)
        location = token.delivery.location_id if token.delivery is not None else None
    return _sent_with(session, mail.bounce.message_ids, location) if location is not None else None


def _by_token(session: Session, router: Router, mail: InboundMail) -> _Match:
    tokens = [token for address in mail.recipients if (token := reply_tokens.token_in(address))]
    if not tokens:
        return _Match(None, "It was not sent to a reply address (reply+…@…), so it answers none of our messages.")
    try:
        claimed = reply_tokens.read(tokens[0])
    except reply_tokens.InvalidReplyToken as invalid:
        return _Match(None, str(invalid))
    delivery = session.get(Delivery, claimed.delivery_id)
    if delivery is None:
        return _Match(None, "The reply token names a message we never sent.")
    try:
        reply_tokens.check(router.reply_secret, tokens[0], delivery.location_id, datetime.now(UTC))
    except reply_tokens.InvalidReplyToken as invalid:
        return _Match(None, str(invalid), delivery.location_id)
    return _Match(delivery, location_id=delivery.location_id)


def _by_thread(session: Session, mail: InboundMail, account: EmailAccount) -> _Match:
    delivery = _sent_with(session, mail.references, account.location_id)
    if delivery is None:
        earlier = session.exec(
            select(InboundMessage)
            .where(col(InboundMessage.message_id).in_(mail.references), col(InboundMessage.delivery_id).is_not(None),
                   col(InboundMessage.location_id) == account.location_id)
            .order_by(col(InboundMessage.received_at).desc())
        ).first()  # fmt: skip
        delivery = session.get(Delivery, earlier.delivery_id) if earlier and earlier.delivery_id else None
    if delivery is None:
        return _Match(None, "It answers none of the messages we sent from this mailbox.", account.location_id)
    if mail.sender == account.email.lower():
        return _Match(delivery, location_id=account.location_id, kind=InboundKind.team_reply)
    if mail.sender not in _customer_addresses(session, delivery):
        customer = session.get(Customer, delivery.customer_id)
        problem = (
            f"It is from {mail.sender}, not from {customer.name if customer else 'the customer'}, whose "
            "conversation its thread belongs to; kept apart so a stranger never joins a customer's thread."
        )
        return _Match(None, problem, account.location_id)
    return _Match(delivery, location_id=account.location_id)


def _sent_with(session: Session, message_ids: tuple[str, ...], location_id: str | None = None) -> Delivery | None:
    """The latest of our deliveries carrying any of `message_ids`."""
    if not message_ids:
        return None
    query = select(Delivery).where(col(Delivery.message_id).in_(message_ids))
    if location_id is not None:
        query = query.where(col(Delivery.location_id) == location_id)
    return session.exec(query.order_by(col(Delivery.created_at).desc())).first()


def _customer_addresses(session: Session, delivery: Delivery) -> set[str]:
    """The customer's address, and those they already wrote from in this conversation (an operator attached
    such a mail once, so it is theirs)."""
    customer = session.get(Customer, delivery.customer_id)
    earlier = session.exec(
        select(InboundMessage.sender).where(
            col(InboundMessage.proposed_action_id) == delivery.proposed_action_id,
            col(InboundMessage.kind) == InboundKind.reply,
            col(InboundMessage.status) == InboundStatus.routed,
        )
    ).all()
    return {address.lower() for address in [customer.email if customer else None, *earlier] if address}


# --- keeping and routing ---------------------------------------------------------------------------


def _kept(session: Session, router: Router, mail: InboundMail, arrival: Arrival) -> InboundMessage:
    """The mail as kept: the row of an earlier delivery of it, or a new one."""
    row = session.get(InboundMessage, inbound_id(mail.message_id))
    return row if row is not None else _keep(session, router, mail, arrival, _match(session, router, mail, arrival))


def _keep(session: Session, router: Router, mail: InboundMail, arrival: Arrival, match: _Match) -> InboundMessage:
    delivery = match.delivery
    ours = html_to_text(delivery.body_html) if delivery is not None else ""
    row = InboundMessage(
        id=inbound_id(mail.message_id),
        source=arrival.source,
        email_account_id=arrival.account.id if arrival.account else None,
        location_id=match.location_id,
        message_id=mail.message_id,
        sender=mail.sender,
        sender_name=mail.sender_name,
        recipients=list(mail.recipients),
        subject=mail.subject,
        references=list(mail.references),
        kind=match.kind or mail.kind,
        status=InboundStatus.received if delivery is not None else InboundStatus.unmatched,
        problem=match.problem,
        text=mail.text,
        reply=_new_text(mail, ours),
        proposed_action_id=delivery.proposed_action_id if delivery else None,
        delivery_id=delivery.id if delivery else None,
        received_at=datetime.now(UTC),
    )
    try:
        session.add(row)
        session.flush()
        for position, attachment in enumerate(mail.attachments):
            # A stranger's files are not ours to keep: of unmatched mail, only what each file was.
            kept = delivery is not None and len(attachment.content) <= router.attachment_max_bytes
            session.add(InboundAttachment(id=f"{row.id}:{position}", inbound_message_id=row.id,
                                          filename=attachment.filename, content_type=attachment.content_type,
                                          size=len(attachment.content),
                                          content=attachment.content if kept else None))  # fmt: skip
        session.commit()
    except IntegrityError:
        # The same mail, kept a moment ago by a concurrent delivery of it (a webhook retried while the first
        # post was still being handled): that row is the one.
        session.rollback()
        kept_first = session.get(InboundMessage, row.id)
        assert kept_first is not None, "only the same id conflicts"
        return kept_first
    return row


def _new_text(mail: InboundMail, ours: str) -> str:
    """What the timeline shows: for a bounce, why; for anything else, what is new in it."""
    if mail.bounce is not None:
        return f"{mail.bounce.recipient or 'The recipient'}: {mail.bounce.detail}"
    return without_quoted(mail.reply, ours) if ours else mail.reply


async def route(session: Session, router: Router, row: InboundMessage) -> None:
    """Deliver a kept, matched mail where it belongs (also one an earlier attempt kept and did not finish)."""
    delivery = session.get(Delivery, row.delivery_id) if row.delivery_id else None
    action = session.get(ProposedAction, row.proposed_action_id) if row.proposed_action_id else None
    assert delivery is not None, "a received mail has matched a delivery"
    # The team's emails that answer a members' chat ticket follow no proposal: what comes back to them belongs to
    # the chat's conversation, and is the team's to answer.
    row.conversation_id = conversation_id(action.id) if action else delivery.conversation_id
    conversation = session.get(Conversation, row.conversation_id) if row.conversation_id else None
    # After an escalation the team has the conversation: what the customer writes goes to the ticket, not the AI.
    escalated = conversation is not None and conversation.status is ConversationStatus.escalated
    # A customer who opted out gets nothing more from us, the AI's answers included: the team sees what they wrote.
    customer = session.get(Customer, delivery.customer_id)
    answered = not escalated and customer is not None and not customer.opted_out
    ticket = None
    if row.kind is InboundKind.reply and (delivery.channel is Channel.helpdesk or escalated):
        ticket = comment_from_customer(session, row.proposed_action_id, row.conversation_id, f"inbound:{row.id}",
                                       row.sender_name or row.sender, row.reply, row.received_at)  # fmt: skip
    if row.kind is InboundKind.bounce:
        await _bounced(session, router.client, row, delivery)
    elif row.kind is InboundKind.reply and answered and action is not None:
        await _hand_over(session, router, row, action, delivery)
    else:  # automatic mail, the team's own answers, and what comes after an escalation or an opt-out wake no AI
        sender = Sender.operator if row.kind is InboundKind.team_reply else Sender.customer
        entry = TimelineEvent(id=f"inbound:{row.id}", action_id=row.proposed_action_id,
                              conversation_id=row.conversation_id, sender=sender,
                              channel=_channel(row, delivery, action), body=row.reply or row.subject,
                              at=row.received_at, inbound_id=row.id,
                              ticket_id=ticket.id if ticket else None)  # fmt: skip
        add_timeline_entry(session, entry)
    row.status = InboundStatus.routed
    session.add(row)
    session.commit()


async def _bounced(session: Session, client: Client, row: InboundMessage, delivery: Delivery) -> None:
    event = delivery_events.DeliveryEvent(
        provider="mail", event_id=row.id, kind="bounce", delivery_id=delivery.id, provider_message_id=None,
        status=DeliveryStatus.bounced,
        note=f"The email to {delivery.to_address} bounced ({row.reply}). Check the address, or reach the customer "
        "another way.",
    )  # fmt: skip
    await delivery_events.apply(session, client, [event])


def _channel(row: InboundMessage, delivery: Delivery, action: ProposedAction | None) -> Channel:
    """A mail read from a connected mailbox is on the `email` channel; one to a reply address is on the channel
    of the message it answers (the AI email's, or the help desk's notification); the sandbox's on the outreach's."""
    if row.email_account_id is not None:
        return Channel.email
    if row.source == "sandbox" and action is not None:
        return action.channel
    return delivery.channel if delivery.channel in (Channel.ai_email, Channel.helpdesk) else Channel.ai_email


async def _hand_over(
    session: Session, router: Router, row: InboundMessage, action: ProposedAction, delivery: Delivery
) -> None:
    known = row.sender in _customer_addresses(session, delivery)
    if not known:  # the team hears of it, whatever the AI makes of the message
        customer = session.get(Customer, delivery.customer_id)
        add_timeline_entry(session, TimelineEvent(
            id=f"unknown-sender:{row.id}", action_id=row.proposed_action_id, conversation_id=row.conversation_id,
            sender=Sender.system, at=row.received_at,
            body=f"This reply came from {row.sender}, not from {customer.name if customer else 'the customer'}'s "
                 "own address (a forwarded email?): the AI answers it, but books and buys nothing on its word.",
        ))  # fmt: skip
        session.commit()
    message = CustomerMessage(
        id=row.id,
        channel=_channel(row, delivery, action),
        body=row.reply[:WORKFLOW_BODY_MAX_CHARS],
        received_at=row.received_at,
        in_reply_to=delivery.message_id,
        references=[*row.references, row.message_id],
        send_from=row.email_account_id,
        sender_known=known,
    )
    release(session)
    try:
        await router.client.get_workflow_handle(action.id).signal(CUSTOMER_REPLIED, message)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise  # the row stays `received`: the next delivery of this mail routes it
        await router.client.start_workflow(
            CONVERSATION_WORKFLOW,
            ConversationInput(
                conversation_id=conversation_id(action.id),
                action_id=action.id,
                location_id=action.location_id,
                customer_id=action.customer_id,
                channel=action.channel,
                subject=delivery.subject,
                idle_timeout=CONVERSATION_IDLE,
                last_message_id=delivery.message_id,
            ),
            id=conversation_id(action.id),
            task_queue=router.task_queue,
            start_signal=CUSTOMER_REPLIED,
            start_signal_args=[message],
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
