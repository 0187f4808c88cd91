"""What any customer may ask the offline engine in any conversation — and all the members' chat, where no agent's
outreach set the topic, knows: their invoices and contracts, a day pass, booking, plans and prices, our locations,
their hours and what members need on arrival. Every answer comes from the tools; what none of these covers goes
to the FAQ, then to the team."""

import calendar
import re
from collections.abc import Callable
from datetime import timedelta
from html import escape
from typing import Any

from agents.base import (
    ComposeContext,
    Intent,
    day_pass_bought,
    day_pass_tools,
    price_lists,
    prices_and_viewing,
    viewing,
)
from conversation.turn import OFFERED, offered
from conversation.understanding import asks_if_free, says_yes, short_answer, slots
from domain.business_hours import WEEKDAYS
from domain.places import named_location
from models.messages import Offer, ToolRequest, ToolStep, TurnOutcome

_DAY_NAMES = dict(zip(WEEKDAYS, calendar.day_name, strict=True))
_NUMBER = r"\b[A-Z]{2,5}-\d{2,}\b"  # an invoice number as the space writes them: AMS-1042


def _invoice_lookup(_context: ComposeContext, message: str, steps: list[ToolStep]) -> list[ToolRequest]:
    if steps:
        return []
    named = re.search(_NUMBER, message.upper())
    arguments = {"invoice_number": named.group(0)} if named else {}
    return [ToolRequest(call_id="invoices", name="invoice_details", arguments=arguments)]


def _listed(invoices: list[dict[str, Any]]) -> str:
    """The invoices as a list, each with its amount, due date, status and payment link."""
    items = "".join(
        f"<li>{escape(invoice['number'])}: {escape(invoice['amount'])}, due {escape(invoice['due_date'])} "
        f"({escape(invoice['status'])})"
        + (f' — <a href="{escape(invoice["payment_link"], quote=True)}">pay it here</a>'
           if invoice.get("payment_link") else "")
        + "</li>"
        for invoice in invoices
    )  # fmt: skip
    return f"<ul>{items}</ul>"


def _from_invoices(
    context: ComposeContext,
    steps: list[ToolStep],
    none_open: str,
    said: Callable[[str, list[dict[str, Any]]], list[str]],
) -> list[str]:
    """What the invoices the tool found say (`said`, of the customer's first name and the invoices); when it found
    none, that none is open (the sentence ended by `none_open`); what it could not find, with how to ask again."""
    first = escape(context.first_name)
    [step] = steps
    if not step.result.ok:
        return [f"I couldn't find that, {first}: {escape(step.result.error or 'the invoice is unknown')}",
                "Tell me the invoice number as it is written on the invoice, or ask for our team."]  # fmt: skip
    invoices = step.result.content.get("invoices", [])
    return said(first, invoices) if invoices else [f"Good news, {first}: you have no open invoices with us{none_open}."]


def _invoices(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    """The invoices the tool found, or none open."""

    def said(first: str, invoices: list[dict[str, Any]]) -> list[str]:
        many = len(invoices) > 1
        return [f"Here {'are' if many else 'is'} your invoice{'s' if many else ''}, {first}:", _listed(invoices),
                "Ask me about any of them to see what it covers, line by line."]  # fmt: skip

    return _from_invoices(context, steps, ".", said)


def _payment_status(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    """Whether the payment asked about has arrived, as the invoices show it: one still open is said to be, with
    when a payment shows — never marked paid on the customer's word."""

    def said(first: str, invoices: list[dict[str, Any]]) -> list[str]:
        paid = [escape(invoice["number"]) for invoice in invoices if invoice["status"] == "paid"]
        still = [invoice for invoice in invoices if invoice["status"] != "paid"]
        lines = [f"Yes, {first}: invoice {' and '.join(paid)} {'are' if len(paid) > 1 else 'is'} paid. Thank you!"
                 ] if paid else []  # fmt: skip
        if still:
            one = len(still) == 1
            lines += [f"{'This' if one else 'These'} still {'shows' if one else 'show'} as open on our side, {first}:",
                      _listed(still), "Payments can take a business day or two to show up. If you paid longer ago "
                      "than that, reply with the day you paid and our team will look for it."]  # fmt: skip
        return lines

    return _from_invoices(context, steps, ", so your payments have all arrived.", said)


# The portal's page to book, with the customer's own signed link.
_PORTAL = ToolRequest(call_id="book", name="portal_link", arguments={"purpose": "book"})


def _portal_tools(_context: ComposeContext, _message: str, steps: list[ToolStep]) -> list[ToolRequest]:
    return [] if steps else [_PORTAL]


def _booking_tools(context: ComposeContext, message: str, steps: list[ToolStep]) -> list[ToolRequest]:
    """What is free on the day, at the times and for the people the message names (at another of our locations,
    if it names one: that day); asked whether something is free naming no day, today; without a day, the portal —
    or, for an office, its prices and a viewing: an office without a day is one to rent by the month."""
    asked = slots(message, context.today)
    if asked.day is None and asked.kind == "office":
        return prices_and_viewing(context, message, steps)
    if steps:
        return []
    day = asked.day or (context.today if asks_if_free(message) else None)
    if day is None:
        return [_PORTAL]
    kind = asked.kind or ("meeting_room" if asked.seats > 1 else "desk")
    arguments: dict[str, Any] = {"kind": kind, "seats": asked.seats}
    if asked.start and asked.end:
        arguments |= {"start": f"{asked.start:%H:%M}", "end": f"{asked.end:%H:%M}"}
    weeks = asked.weeks
    if elsewhere := named_location(message, context.other_locations):  # its team books there, weekly ones too
        arguments["location"], weeks = elsewhere, 1
    days = [day + timedelta(weeks=week) for week in range(weeks)]  # a weekly booking: each of its days
    return [ToolRequest(call_id=f"availability-{n}", name="check_availability",
                        arguments={**arguments, "date": day.isoformat()}) for n, day in enumerate(days)]  # fmt: skip


def _booking(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    first = escape(context.first_name)
    if steps[0].result.name == "plans_and_prices":
        return _prices(context, steps)
    if len(steps) > 1:
        return _weekly(context, steps)
    [found] = (step.result for step in steps)
    if found.name == "check_availability":
        return _free(context, found.content, found.error) if found.ok or found.error else []
    if not found.ok:
        return [f"I couldn't open the member portal just now, {first}; our team can help you if you ask."]
    return [f"Of course, {first}! Here's your link to the member portal, where you can book a room or a desk, and "
            "see or cancel your bookings: "
            f'<a href="{escape(found.content["link"], quote=True)}">open the portal</a>.',
            "Or tell me the day and I'll check what's free."]  # fmt: skip


def _free(context: ComposeContext, found: dict[str, Any], refused: str | None) -> list[str]:
    """What the tool found free, to book on the customer's word; or why nothing (closed, in the past, full)."""
    first = escape(context.first_name)
    if refused:
        return [f"I'm sorry, {first}: {escape(refused)}", "Would another day or time suit you? Just tell me which."]
    if not found["available"]:
        when = f"{escape(found['date'])} from {escape(found['from'])} to {escape(found['until'])}"
        return [f"I'm sorry, {first}: nothing of that kind is free on {when}.", "Would another day or time suit you?"]
    places = found["available"][:OFFERED]
    items = "".join(
        f"<li>{escape(place['name'])}, for up to {place['seats']}"
        + (f", {escape(place['hourly_rate'])} an hour" if place.get("hourly_rate") else "") + "</li>"
        for place in places
    )  # fmt: skip
    if found.get("book_there"):
        return [f"Good news, {first}! Free at {escape(found['location'])} on {escape(found['date'])} from "
                f"{escape(found['from'])} to {escape(found['until'])} ({escape(found['time_zone'])}):",
                f"<ul>{items}</ul>", f"I book at {escape(context.location_name)} only: book there in "
                f'<a href="{escape(found["book_there"], quote=True)}">its portal</a>, or ask its team.']  # fmt: skip
    others = " Or tell me which one you'd like." if len(places) > 1 else ""
    return [f"Good news, {first}! Free on {escape(found['date'])} from {escape(found['from'])} to "
            f"{escape(found['until'])}:", f"<ul>{items}</ul>",
            f"Shall I book {escape(places[0]['name'])} for you?{others} Nothing is booked until you say "
            "so."]  # fmt: skip


def accepted(offers: list[Offer], message: str) -> Offer | None:
    """What the customer takes of what the last answer proposed: the place a short answer names ("The Loft,
    please"), or — a plain yes — the one proposed; None for a question, a no, or something else."""
    if not offers or not short_answer(message):
        return None
    named = [offer for offer in offers if offer.name.lower() in message.lower()]
    return named[0] if named else offers[0] if says_yes(message) else None


def booked(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    """The bookings the customer said yes to — what, when, the links — and any that could not be made, and why."""
    first = escape(context.first_name)
    made = [step.result.content for step in steps if step.result.ok]
    refused = [escape(step.result.error or "that could not be booked") for step in steps if not step.result.ok]
    if not made:
        return [f"I'm sorry, {first}: {' '.join(refused)}", "Would another time or place suit you? Just tell me which."]
    place, where = escape(made[0]["resource"]["name"]), escape(made[0]["location"])
    days = "".join(f'<li>{escape(found["date"])} from {escape(found["from"])} to {escape(found["until"])}: '
                   f'<a href="{escape(found["booking_link"], quote=True)}">see your booking</a></li>'
                   for found in made)  # fmt: skip
    lines = [f"Done, {first}! {place} is booked for you at {where}:", f"<ul>{days}</ul>"]
    return lines + ([f"Not booked: {' '.join(refused)}"] if refused else [])


def _weekly(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    """A weekly booking: the place free on most of its days, which days, and the days it is not."""
    first = escape(context.first_name)
    offers = offered(steps)
    refusals = " ".join(escape(step.result.error) for step in steps if step.result.error)
    if not offers:
        return [f"I'm sorry, {first}: nothing of that kind is free on any of those days. {refusals}".strip(),
                "Would another day or time suit you?"]  # fmt: skip
    best = offers[0]
    free = [booking.arguments for booking in best.bookings]
    asked = [str(step.request.arguments.get("date")) for step in steps]
    missing = [day for day in asked if day not in {free_day["date"] for free_day in free}]
    days = "".join(f"<li>{escape(day['date'])} from {escape(day['start'])} to {escape(day['end'])}</li>"
                   for day in free)  # fmt: skip
    lines = [f"Good news, {first}! {escape(best.name)} is free on these days:", f"<ul>{days}</ul>"]
    if missing:
        lines.append(f"Not on {escape(', '.join(missing))}: nothing of that kind is free then. {refusals}".strip())
    lines.append(f"Shall I book {escape(best.name)} on {'these days' if len(free) > 1 else 'that day'} for you? "
                 "Nothing is booked until you say so.")  # fmt: skip
    return lines


def _prices(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    first = escape(context.first_name)
    prices = steps[0].result
    if not prices.ok:
        return [f"I couldn't look our prices up just now, {first}; our team can go through them with you."]
    offices, plans = price_lists(prices.content)
    day_pass = prices.content.get("day_pass")
    at, link = viewing(steps)
    lines = [f"Happy to help, {first}! Our plans{escape(at)}:", plans, "And our private offices:", offices,
             f"A day pass is {escape(day_pass)}." if day_pass else ""]  # fmt: skip
    if link:
        lines.append(f'To see an office, <a href="{escape(link, quote=True)}">book a viewing</a>.')
    return lines


def _location_tools(context: ComposeContext, message: str, steps: list[ToolStep]) -> list[ToolRequest]:
    """The customer's own location, or another of ours the message names."""
    if steps:
        return []
    elsewhere = named_location(message, context.other_locations)
    return [ToolRequest(call_id="location", name="location_details",
                        arguments={"location": elsewhere} if elsewhere else {})]  # fmt: skip


def _location(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    first = escape(context.first_name)
    step = steps[-1]
    if not step.result.ok:
        return [f"I couldn't look that up just now, {first}; our team can tell you if you ask."]
    found = step.result.content
    hours = "".join(f"<li>{_DAY_NAMES.get(day, escape(day))}: {escape(open_)}</li>"
                    for day, open_ in found["opening_hours"].items())  # fmt: skip
    closed = ", ".join(found["closed_on"])
    others = ", ".join(f"{escape(place['name'])} ({escape(place['address'])})" for place in found["other_locations"])
    return [f"{escape(found['name'])} is at {escape(found['address'])}. Opening hours:", f"<ul>{hours}</ul>",
            f"Closed on {escape(closed)}." if closed else "",
            f"The Wi-Fi is {escape(found['wifi_network'])}, password {escape(found['wifi_password'])}."
            if found.get("wifi_network") else "",
            f"Our other locations: {others}." if others and found["name"] == context.location_name else ""]  # fmt: skip


def _contract_tools(_context: ComposeContext, _message: str, steps: list[ToolStep]) -> list[ToolRequest]:
    return [] if steps else [ToolRequest(call_id="contracts", name="contract_details")]


def _contracts(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    """The customer's contracts as the tool found them: plan, price, dates, renewed or not."""
    first = escape(context.first_name)
    [step] = steps
    if not step.result.ok:
        return [f"I couldn't look your contract up just now, {first}; our team can go through it with you."]
    contracts = step.result.content["contracts"]
    if not contracts:
        return [f"I can't find a contract in your name with us, {first}; our team can check if you ask."]
    items = "".join(
        f"<li>{escape(found['plan'])} at {escape(found['monthly_price'])} a month, from {escape(found['starts_on'])} "
        f"to {escape(found['ends_on'])}"
        + (" (renewed)" if found["renewed"] else " (cancelled)" if found["cancelled"] else "") + "</li>"
        for found in contracts
    )  # fmt: skip
    return [f"Here {'is your contract' if len(contracts) == 1 else 'are your contracts'}, {first}:",
            f"<ul>{items}</ul>"]  # fmt: skip


# A link to the member portal: in the members' chat, and in any conversation that names the portal.
PORTAL = Intent(TurnOutcome.reply, "link", "Sent the link to the member portal.", uses=_portal_tools, answered=_booking)

# Whether a payment has arrived, asked rather than told ("has my transfer come through?"): what the invoices show.
PAYMENT_STATUS = "payment_status"

INTENTS = (
    Intent(
        TurnOutcome.reply,
        "invoice_detail",
        "Listed the customer's invoices with their payment links.",
        uses=_invoice_lookup,
        answered=_invoices,
    ),
    Intent(
        TurnOutcome.reply,
        PAYMENT_STATUS,
        "The customer asked whether their payment has arrived; looked the invoices up.",
        uses=_invoice_lookup,
        answered=_payment_status,
    ),
    Intent(
        TurnOutcome.reply,
        "day_pass",
        "The customer asked for a day pass; checked the day and bought it.",
        uses=day_pass_tools,
        answered=day_pass_bought,
    ),
    Intent(
        TurnOutcome.reply,
        "availability",
        "Checked what is free for the day, times and people asked, or sent the link to book in the portal.",
        uses=_booking_tools,
        answered=_booking,
    ),
    Intent(
        TurnOutcome.reply,
        "prices",
        "Listed the plans and private offices with their prices.",
        uses=prices_and_viewing,
        answered=_prices,
    ),
    Intent(
        TurnOutcome.reply,
        "location",
        "Gave the location's address and opening hours.",
        uses=_location_tools,
        answered=_location,
    ),
    # An outreach's own link comes first (the agent's "link"); in the members' chat, the portal's.
    PORTAL,
    Intent(
        TurnOutcome.reply,
        "contract_detail",
        "Gave the customer's contract: plan, price and dates.",
        uses=_contract_tools,
        answered=_contracts,
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
