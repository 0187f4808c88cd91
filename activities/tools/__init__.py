"""The conversation's tools: the same functions whoever asks (the model, the offline engine) and whatever the
channel (email, a call, chat), working on the space's data.

Each use is one activity (`use_tool`), so the workflow's history shows every step with its arguments and its
result. A tool validates its input and answers a refusal in words the AI can pass on (a date in the past, a
closed day, a desk already taken) rather than failing; a tool that changes something (a booking, a day pass)
does it once per request key — the workflow id and the tool call's id — however often the activity is retried.
Every use lands on the conversation's timeline in the same transaction as what it changed.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity

from activities.tools import billing, consent, space
from activities.tools.context import BookingCaps, LimitReached, PortalLinks, ToolContext, ToolRefused
from conversation.policy import OPT_OUT
from inbound import conversions
from models.db import session_scope
from models.messages import Sender, TimelineEvent, ToolCall, ToolResult
from models.tables import Customer, Location
from models.timeline import add_timeline_entry

UNKNOWN_SENDER = (
    "This message did not come from the customer's own email address, so nothing is booked or bought on it; the "
    "customer can ask from their own address, and our team has been told."
)
# How many characters of a tool's result, in words, its timeline entry quotes; the whole is in the workflow's history.
QUOTED_CHARS = 1_500


@dataclass(frozen=True)
class Tool:
    description: str  # what the model is told it does
    done: str  # what the team reads on the timeline when it was used
    arguments: type[BaseModel]
    run: Callable[[ToolContext, Any], dict[str, Any]]
    changes_state: bool = False


TOOLS: dict[str, Tool] = {
    "check_availability": Tool(
        "Free desks, meeting rooms or offices on a date (and between two local times), within the opening hours: at "
        "the customer's location, or another of ours by name or city (its team books those).",
        "Checked what is free", space.AvailabilityArgs, space.check_availability),
    "book_resource": Tool(
        "Book a desk, meeting room or office that check_availability found free, for the customer.",
        "Booked for the customer", space.BookingArgs, space.book_resource, changes_state=True),
    "buy_day_pass": Tool(
        "Buy a day pass for the customer for a date: a desk for the opening hours, and its payment link.",
        "Bought a day pass for the customer", space.DayPassArgs, space.buy_day_pass, changes_state=True),
    "plans_and_prices": Tool(
        "Membership plans, private offices, meeting rooms and the day pass, with their prices: at the customer's "
        "location, or another of ours by name or city.", "Looked up the plans and prices", space.LocationArgs,
        space.plans_and_prices),
    "location_details": Tool(
        "A location's address, opening hours, closures and time zone (the customer's own, or another of ours by name "
        "or city), the Wi-Fi for members, and our other locations.", "Looked up the location", space.LocationArgs,
        space.location_details),
    "search_faq": Tool(
        "Search the location's FAQ articles for an answer.", "Searched the FAQ", space.FaqArgs, space.search_faq),
    "invoice_details": Tool(
        "An invoice of the customer with its line items, status and payment link; without a number, their open "
        "invoices.", "Looked up the invoices", billing.InvoiceArgs, billing.invoice_details),
    "contract_details": Tool(
        "The customer's own contracts: plan, monthly price, start and end dates, whether renewed or cancelled.",
        "Looked up the contracts", space.NoArguments, billing.contract_details),
    "portal_link": Tool(
        "A signed, expiring link into the member portal: pay an invoice, book, or the customer's profile.",
        "Made a member portal link", billing.PortalLinkArgs, billing.portal_link),
    OPT_OUT: Tool(
        "Opt the customer out of all outreach from the location, at once, when they ask to hear no more (in any "
        "words or language). Cancels what was about to be sent to them.", "Opted the customer out",
        space.NoArguments, consent.opt_out, changes_state=True),
}  # fmt: skip


def tool_schemas() -> list[dict[str, Any]]:
    """The tools as a model is offered them (the OpenAI-compatible function-calling format)."""
    return [
        {"type": "function", "function": {"name": name, "description": tool.description,
                                          "parameters": tool.arguments.model_json_schema()}}
        for name, tool in TOOLS.items()
    ]  # fmt: skip


class ToolActivities:
    def __init__(self, engine: Engine, links: PortalLinks, caps: BookingCaps,
                 cancel: Callable[[list[str]], Awaitable[None]]) -> None:  # fmt: skip
        self._engine = engine
        self._links = links
        self._caps = caps
        self._cancel = cancel  # cancels the outreaches an opt-out leaves undelivered (inbound.consent)

    @activity.defn
    async def use_tool(self, call: ToolCall) -> ToolResult:
        """Run one tool for one customer; a refusal or bad arguments come back as the result's error."""
        result = await asyncio.to_thread(self._use, call)
        await self._cancel(result.content.get("cancelled_proposals", []))
        return result

    def _use(self, call: ToolCall) -> ToolResult:
        with session_scope(self._engine) as session:
            result = self._run(session, call)
            _record(session, call, result)
            booked = result.content.get("booking_id") if result.ok else None
            customer = session.get(Customer, call.customer_id)
            if booked and call.action_id and customer is not None:  # the outreach converted: one chain
                made = conversions.booking_made(customer, booked, datetime.now(UTC), "conversation")
                conversions.record(session, replace(made, proposed_action_id=call.action_id))
        return result

    def _run(self, session: Session, call: ToolCall) -> ToolResult:
        tool = TOOLS.get(call.name)
        if tool is None:
            known = ", ".join(TOOLS)
            return ToolResult(
                name=call.name, ok=False, error=f"There is no tool named {call.name!r}; use one of {known}."
            )
        try:
            arguments = tool.arguments.model_validate(call.arguments)
        except ValidationError as invalid:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in invalid.errors())
            return ToolResult(name=call.name, ok=False, error=f"The arguments are not valid: {problems}.")
        if tool.changes_state and call.name != OPT_OUT and not call.sender_known:
            # A reply address travels with a forwarded email: its reader may ask, but not spend in the customer's
            # name. An opt-out is honoured from anyone in the thread: it only stops what we send.
            return ToolResult(name=call.name, ok=False, error=UNKNOWN_SENDER)
        location, customer = session.get(Location, call.location_id), session.get(Customer, call.customer_id)
        if location is None or customer is None or customer.location_id != location.id:
            return ToolResult(name=call.name, ok=False, error="The customer is not known at this location.")
        context = ToolContext(session, location, customer, datetime.now(UTC), call.request_key, self._links,
                              self._caps, call.conversation_id)  # fmt: skip
        try:
            return ToolResult(name=call.name, ok=True, content=tool.run(context, arguments))
        except ToolRefused as refused:
            session.rollback()  # whatever the tool began is undone; the refusal is still recorded
            return ToolResult(name=call.name, ok=False, error=str(refused),
                              limit_reached=isinstance(refused, LimitReached))  # fmt: skip


def _record(session: Session, call: ToolCall, result: ToolResult) -> None:
    """The use on the conversation's timeline, as the team reads it: what was done and asked, then what came back,
    a field to a line (quoted up to a length; the whole result is in the workflow's history)."""
    if call.conversation_id is None:  # a call made before tool uses were recorded
        return
    asked = _inline(call.arguments)
    found = in_words(result.content) if result.ok else f"Refused: {result.error}"
    if len(found) > QUOTED_CHARS:
        found = found[: QUOTED_CHARS - 1] + "…"
    done = TOOLS[call.name].done if call.name in TOOLS else f"Used {call.name}"
    add_timeline_entry(session, TimelineEvent(
        id=f"tool:{call.request_key}", action_id=call.action_id, conversation_id=call.conversation_id,
        sender=Sender.ai, body=done + (f" ({asked})" if asked else "") + f":\n{found}",
        at=datetime.now(UTC), tool=call.name,
    ))  # fmt: skip


def in_words(content: dict[str, Any]) -> str:
    """A tool's result in words: each field on a line of its own ("free: Loft; Room 2"), what is inside it inline."""
    return "\n".join(f"{name.replace('_', ' ')}: {_inline(value)}" for name, value in content.items()) or "nothing"


def _inline(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{name.replace('_', ' ')} {_inline(inner)}" for name, inner in value.items())
    if isinstance(value, list):
        return "; ".join(_inline(item) for item in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "none" if value is None else str(value)
