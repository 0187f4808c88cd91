"""The members' chat (`inbound/chat.py`), for customers rather than operators: every request is signed in by the
chat link the location's member portal asked for on the customer's behalf (`POST /api/customers/{id}/chat-link`)
and handed to them — signed, expiring, naming one customer — sent in the `X-Chat-Link` header."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, status
from sqlmodel import Session, col, select

from api.deps import ClientAddress, ClientDep, EngineDep, SessionDep, SettingsDep
from api.schemas import ChatLine, ChatMessageIn, ChatReply, ChatTranscript
from domain import portal_links
from domain.ids import chat_id
from inbound import chat
from models.messages import Channel, ConversationStatus, CustomerMessage, Sender
from models.tables import Conversation, Customer, Location, TimelineEntry
from safeguards.rate_limits import RateLimit, forget_drained, take
from settings import Settings

router = APIRouter(prefix="/api/chat", tags=["members' chat"])

CHAT = "chat"  # the portal-link purpose of a chat link
# What the chat tells the customer when the team, not the AI, has the conversation: after an escalation they answer
# on its ticket, by email; a team member who took the chat over answers in it.
WITH_THE_TEAM = "Your message is with our team; they will answer you by email."
TAKEN_OVER = "Your message is with our team; they will answer you here."


def _refused(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "X-Chat-Link"})


def chat_is_on(settings: Settings) -> str:
    """The secret chat links are signed with; without one of its own the chat is off, because the sandbox's
    fixed secret would let anyone sign a link for any customer."""
    if not settings.portal_link_secret:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="The members' chat is off: set OUTREACH_PORTAL_LINK_SECRET, the secret this API and the member "
            "portal share to sign chat links (make run sets one for the demo).",
        )
    return settings.portal_link_secret


def _signed_in(
    session: SessionDep,
    settings: SettingsDep,
    link: Annotated[str | None, Header(alias="X-Chat-Link", description="The chat link the member portal gave")] = None,
) -> Customer:
    secret = chat_is_on(settings)
    if not link:
        raise _refused("Missing chat link: send the header 'X-Chat-Link: <the link the member portal gave you>'.")
    try:
        signed = portal_links.verify(secret, link, datetime.now(UTC))
    except portal_links.InvalidPortalLink as invalid:
        raise _refused(f"The chat link is not valid: {invalid} Open the chat from the member portal again.") from None
    customer = session.get(Customer, signed.customer_id)
    if signed.purpose != CHAT or customer is None:
        raise _refused("That link does not sign anyone in to the chat; open the chat from the member portal again.")
    return customer


ChatCustomer = Annotated[Customer, Depends(_signed_in)]


def _waiting(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{round(seconds / 60)} minutes" if seconds < 7200 else f"{round(seconds / 3600)} hours"


def _within_limits(customer: ChatCustomer, address: ClientAddress, engine: EngineDep, settings: SettingsDep) -> None:
    """Each message costs a turn of the AI: per client address, then per customer, at most so many (counted in the
    database, so every API process counts the same); over a limit, 429 with when to try again."""
    minute, day = timedelta(minutes=1), timedelta(days=1)
    limits = [
        (
            RateLimit("chat-address", settings.chat_messages_per_address_minute, minute),
            address,
            "from your network address: at most {most} a minute",
        ),
        (
            RateLimit("chat-minute", settings.chat_messages_per_minute, minute),
            customer.id,
            "from you: at most {most} a minute",
        ),
        (
            RateLimit("chat-day", settings.chat_messages_per_day, day),
            customer.id,
            "from you today: at most {most} a day",
        ),
    ]
    now = datetime.now(UTC)
    for limit, who, what in limits:
        wait = take(engine, limit, who, now)
        if wait is not None:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                detail=f"Too many chat messages {what.format(most=limit.most)}. This one was not taken: send it "
                f"again in {_waiting(wait)}.",
                headers={"Retry-After": str(wait)},
            )
    forget_drained(engine, now)


@router.post("/messages", response_model=ChatReply, dependencies=[Depends(_within_limits)])
async def send_message(body: ChatMessageIn, customer: ChatCustomer, session: SessionDep, client: ClientDep,
                       settings: SettingsDep) -> ChatReply:  # fmt: skip
    """The customer's message and the AI's answer, once its turn is done (it may use tools: a booking, a day
    pass). After an escalation the message goes to the team, who answer by email."""
    message = CustomerMessage(
        id=f"chat:{customer.id}:{body.message_id or uuid.uuid4().hex}",
        channel=Channel.chat,
        body=body.text,
        received_at=datetime.now(UTC),
    )
    try:
        answer = await chat.say(session, client, settings.task_queue, customer, message)
    except chat.ChatUnavailable as busy:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(busy)) from busy
    escalated = answer.status is ConversationStatus.escalated and not answer.reply_html
    notice = TAKEN_OVER if answer.with_the_team else WITH_THE_TEAM if escalated else None
    return ChatReply(conversation_id=chat_id(customer.id), message_id=message.id,
                     status=answer.status, reply_html=answer.reply_html, notice=notice)  # fmt: skip


@router.get("/transcript", response_model=ChatTranscript)
def transcript(customer: ChatCustomer, session: SessionDep) -> ChatTranscript:
    """What was said in the customer's chat, both ways (the team's emails included), oldest first."""
    conversation = session.get(Conversation, chat_id(customer.id))
    entries = session.exec(
        select(TimelineEntry)
        .where(col(TimelineEntry.conversation_id) == chat_id(customer.id),
               col(TimelineEntry.sender).in_([Sender.customer, Sender.ai, Sender.operator]),
               col(TimelineEntry.tool).is_(None))
        .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
    ).all()  # fmt: skip
    return ChatTranscript(
        conversation_id=conversation.id if conversation else None,
        status=conversation.status if conversation else None,
        lines=[ChatLine(sender=entry.sender, body=entry.body, at=entry.at) for entry in entries],
    )


def new_chat_link(session: Session, settings: Settings, customer: Customer) -> tuple[str, datetime]:
    """A chat link for the customer, to the chat page of their location's member portal."""
    secret = chat_is_on(settings)
    location = session.get(Location, customer.location_id)
    assert location is not None, "the customer's location"
    link = portal_links.PortalLink(CHAT, customer.id, "", datetime.now(UTC) + timedelta(hours=settings.chat_link_hours))
    return portal_links.make(secret, location.portal_url, link), link.expires_at
