"""What the offline engine understands in the members' chat, where the customer writes in themselves and no
agent's outreach set the topic: their invoices, a day pass, booking, plans and prices, the location and its
hours. Every answer comes from the tools (the same ones the agents' conversations use); what none of these covers
goes to the FAQ, then to the team."""

import calendar
import re
from html import escape

from agents.base import ComposeContext, Intent, day_pass_bought, day_pass_tools, price_lists
from domain.business_hours import WEEKDAYS
from models.messages import ToolRequest, ToolStep, TurnOutcome

_DAY_NAMES = dict(zip(WEEKDAYS, calendar.day_name, strict=True))
_NUMBER = r"\b[A-Z]{2,5}-\d{2,}\b"  # an invoice number as the space writes them: AMS-1042


def _invoice_lookup(_context: ComposeContext, message: str, steps: list[ToolStep]) -> list[ToolRequest]:
    if steps:
        return []
    named = re.search(_NUMBER, message.upper())
    arguments = {"invoice_number": named.group(0)} if named else {}
    return [ToolRequest(call_id="invoices", name="invoice_details", arguments=arguments)]


def _invoices(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    """The invoices the tool found — each with its amount, due date, status and payment link — or none open."""
    first = escape(context.first_name)
    [step] = steps
    if not step.result.ok:
        return [f"I couldn't find that, {first}: {escape(step.result.error or 'the invoice is unknown')}",
                "Tell me the invoice number as it is written on the invoice, or ask for our team."]  # fmt: skip
    invoices = step.result.content.get("invoices", [])
    if not invoices:
        return [f"Good news, {first}: you have no open invoices with us."]
    items = "".join(
        f"<li>{escape(invoice['number'])}: {escape(invoice['amount'])}, due {escape(invoice['due_date'])} "
        f"({escape(invoice['status'])})"
        + (f' — <a href="{escape(invoice["payment_link"], quote=True)}">pay it here</a>'
           if invoice.get("payment_link") else "")
        + "</li>"
        for invoice in invoices
    )  # fmt: skip
    return [f"Here {'is' if len(invoices) == 1 else 'are'} your invoice{'s' if len(invoices) > 1 else ''}, {first}:",
            f"<ul>{items}</ul>", "Ask me about any of them to see what it covers, line by line."]  # fmt: skip


def _day_pass(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    if not steps:
        return [f"Happy to set that up, {escape(context.first_name)}! Which day would you like to come in?"]
    return day_pass_bought(context, steps)


def _booking_tools(_context: ComposeContext, _message: str, steps: list[ToolStep]) -> list[ToolRequest]:
    if steps:
        return []
    return [ToolRequest(call_id="book", name="portal_link", arguments={"purpose": "book"})]


def _booking(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    first = escape(context.first_name)
    [link] = (step.result for step in steps)
    if not link.ok:
        return [f"I couldn't open the booking page just now, {first}; our team can book it for you if you ask."]
    return [f"Of course, {first}! Pick the room or desk and the time that suit you here: "
            f'<a href="{escape(link.content["link"], quote=True)}">book in the portal</a>.',
            "Or tell me the day and I'll check what's free."]  # fmt: skip


def _price_tools(_context: ComposeContext, _message: str, steps: list[ToolStep]) -> list[ToolRequest]:
    if steps:
        return []
    return [ToolRequest(call_id="prices", name="plans_and_prices"),
            ToolRequest(call_id="viewing", name="portal_link", arguments={"purpose": "book"})]  # fmt: skip


def _prices(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    first = escape(context.first_name)
    prices, viewing = (step.result for step in steps)
    if not prices.ok:
        return [f"I couldn't look our prices up just now, {first}; our team can go through them with you."]
    offices, plans = price_lists(prices.content)
    day_pass = prices.content.get("day_pass")
    lines = [f"Happy to help, {first}! Our plans:", plans, "And our private offices:", offices,
             f"A day pass is {escape(day_pass)}." if day_pass else ""]  # fmt: skip
    if viewing.ok:
        lines.append(f'To see an office, <a href="{escape(viewing.content["link"], quote=True)}">book a viewing</a>.')
    return lines


def _location_tools(_context: ComposeContext, _message: str, steps: list[ToolStep]) -> list[ToolRequest]:
    return [] if steps else [ToolRequest(call_id="location", name="location_details")]


def _location(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    first = escape(context.first_name)
    [step] = steps
    if not step.result.ok:
        return [f"I couldn't look that up just now, {first}; our team can tell you if you ask."]
    found = step.result.content
    hours = "".join(f"<li>{_DAY_NAMES.get(day, escape(day))}: {escape(open_)}</li>"
                    for day, open_ in found["opening_hours"].items())  # fmt: skip
    closed = ", ".join(found["closed_on"])
    return [f"{escape(found['name'])} is at {escape(found['address'])}. Our opening hours:", f"<ul>{hours}</ul>",
            f"We are closed on {escape(closed)}." if closed else ""]  # fmt: skip


# In order: the first that matches is what the customer meant. A deal needs a person: before the prices.
INTENTS = (
    Intent(
        TurnOutcome.escalate,
        "negotiation",
        r"\b(discount|deal|cheaper|negotiat\w*|lower (the )?price|work something out|contract terms?|"
        r"cancel (my|the) (membership|contract|plan))\b",
        "The customer wants to negotiate or change their terms; handed to the team.",
    ),
    Intent(
        TurnOutcome.reply,
        "invoices",
        r"\b(invoices?|bills?|billing|owe|balance|outstanding|unpaid)\b|" + _NUMBER,
        "Listed the customer's invoices with their payment links.",
        uses=_invoice_lookup,
        answered=_invoices,
    ),
    Intent(
        TurnOutcome.reply,
        "day_pass",
        # What a day pass costs is a question about prices.
        r"^(?!.*\b(how much|price|cost)).*"
        r"\b(day ?pass|come in (on|for|next|this)|work from (the space|there) (on|next|this))\b",
        "The customer asked for a day pass; checked the day and bought it.",
        uses=day_pass_tools,
        answered=_day_pass,
    ),
    Intent(
        TurnOutcome.reply,
        "book",
        r"\b(book|reserve)\b",
        "Sent the link to book in the portal.",
        uses=_booking_tools,
        answered=_booking,
    ),
    Intent(
        TurnOutcome.reply,
        "prices",
        r"\b(price|prices|pricing|cost|how much|rates?|private offices?|plans?|memberships?)\b",
        "Listed the plans and private offices with their prices.",
        uses=_price_tools,
        answered=_prices,
    ),
    Intent(
        TurnOutcome.reply,
        "location",
        r"\b(open(ing)? hours|hours|when (are you|is it|do you) open|open on|closed|address|where are you|"
        r"directions|how do i get there)\b",
        "Gave the location's address and opening hours.",
        uses=_location_tools,
        answered=_location,
    ),
)


def help_lines(context: ComposeContext) -> list[str]:
    """What the chat says when it did not understand: what it can do, and the team."""
    return [
        f"Sorry, {escape(context.first_name)}, I'm not sure I understood. I'm the AI assistant of "
        f"{escape(context.location_name)}: I can show your invoices, get you a day pass, help you book, and tell "
        "you about our plans, prices and opening hours.",
        "Or, if you'd rather talk to someone on our team, just say so and I'll pass it on.",
    ]
