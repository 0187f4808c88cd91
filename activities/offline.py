"""The offline composer and conversation engine: deterministic, no model, no network.

They are the default when no LLM is configured, so they must write what an operator would send.
Every value that comes from data is HTML-escaped; nothing here evaluates text as a template.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape

from models.content import html_to_text
from models.messages import AgentType, Channel, Draft, Turn, TurnOutcome

# Customers with at least this many earlier late payments get the firmer wording.
HABITUAL_LATE_PAYMENTS = 2


@dataclass(frozen=True)
class ComposeContext:
    location_name: str
    persona_tone: str
    signature: str
    customer_name: str
    earlier_late_payments: int
    facts: dict[str, str | int]
    personality: str = ""
    language: str = "en"

    @property
    def first_name(self) -> str:
        return self.customer_name.split()[0] if self.customer_name.strip() else "there"

    @property
    def friendly(self) -> bool:
        return self.persona_tone in ("warm", "friendly", "casual")

    def fact(self, key: str) -> str:
        """A fact of the situation, HTML-escaped for the email body."""
        return escape(str(self.facts[key]), quote=True)


@dataclass(frozen=True)
class Wording:
    """What one agent says: the email's subject and middle paragraphs, and the call script."""

    subject: str
    paragraphs: list[str]
    link: tuple[str, str]  # (fact holding the URL, link text)
    voice: str


def _human_date(iso: str | int) -> str:
    day = date.fromisoformat(str(iso))
    return f"{day.strftime('%B')} {day.day}, {day.year}"


def _paragraphs(*lines: str) -> str:
    return "".join(f"<p>{line}</p>" for line in lines if line)


def _signature_html(context: ComposeContext) -> str:
    lines = context.signature.splitlines() or [f"The {context.location_name} team"]
    return "<br>".join(escape(line) for line in lines)


def _due_invoice(context: ComposeContext) -> Wording:
    facts = context.facts
    number, amount = context.fact("invoice_number"), context.fact("invoice_amount")
    due = escape(_human_date(facts["due_date"]))
    if context.earlier_late_payments >= HABITUAL_LATE_PAYMENTS:
        return Wording(
            subject=f"Action needed: invoice {facts['invoice_number']} is overdue",
            paragraphs=[
                f"Invoice <strong>{number}</strong> for <strong>{amount}</strong> was due on {due} and is still "
                "open. As a few recent invoices have also been paid late, we'd like to get this one settled promptly.",
                "Please pay it within the next few days using the link below. If something is making payment "
                "difficult, reply to this email and we'll work out a plan together.",
            ],
            link=("payment_link", f"Pay invoice {number}"),
            voice=f"Hi {context.first_name}, this is {context.location_name} about invoice {facts['invoice_number']} "
            f"for {facts['invoice_amount']}, due on {_human_date(facts['due_date'])} and still open. As a few recent "
            "invoices were late too, could you settle it this week? I'll text you the payment link. "
            "If something is in the way, tell us and we'll find a plan.",
        )
    return Wording(
        subject=f"Friendly reminder: invoice {facts['invoice_number']} for {facts['invoice_amount']}",
        paragraphs=[
            f"A quick note: invoice <strong>{number}</strong> for <strong>{amount}</strong> was due on {due}, and "
            "we haven't received payment yet. It has probably just slipped through the cracks.",
            "You can pay it in a minute with the link below. If you've already paid, just reply and let us know.",
        ],
        link=("payment_link", f"Pay invoice {number}"),
        voice=f"Hi {context.first_name}, this is {context.location_name} with a quick reminder: invoice "
        f"{facts['invoice_number']} for {facts['invoice_amount']} was due on {_human_date(facts['due_date'])}. "
        "It has probably just slipped through. I'll text you a secure payment link after this call. Thanks!",
    )


def _contract_renewal(context: ComposeContext) -> Wording:
    facts = context.facts
    plan, end = context.fact("plan_name"), escape(_human_date(facts["end_date"]))
    price = f" at {context.fact('monthly_price')} a month" if facts.get("monthly_price") else ""
    return Wording(
        subject=f"Your {facts['plan_name']} membership ends on {_human_date(facts['end_date'])}",
        paragraphs=[
            f"Your <strong>{plan}</strong> membership{price} ends on <strong>{end}</strong>, "
            f"{context.fact('days_left')} days from now, and we'd love to keep you with us.",
            "Renewing takes a minute with the link below. If you'd like to change plans or talk it over, "
            "just reply to this email.",
        ],
        link=("renewal_link", "Renew my membership"),
        voice=f"Hi {context.first_name}, this is {context.location_name}. Your {facts['plan_name']} membership "
        f"ends on {_human_date(facts['end_date'])}, and we'd love to keep you. Would you like to renew? "
        "I'll text you a renewal link, and we're happy to talk about other plans too.",
    )


def _lead_follow_up(context: ComposeContext) -> Wording:
    facts = context.facts
    asked = escape(str(facts["inquiry_message"]))
    return Wording(
        subject=f"Following up on your inquiry at {context.location_name}",
        paragraphs=[
            f"Thanks for reaching out to {escape(context.location_name)} on "
            f"{escape(_human_date(facts['inquiry_date']))}, and sorry we haven't come back to you sooner. "
            f"You wrote: <em>“{asked}”</em>",
            "The best way to see if we fit is a quick tour: pick a time that suits you below, or reply with your "
            "questions and we'll answer them right away.",
        ],
        link=("tour_link", "Book a tour"),
        voice=f"Hi {context.first_name}, this is {context.location_name}. You asked us about working here "
        f"on {_human_date(facts['inquiry_date'])}, and we wanted to follow up. Would you like to come by for a "
        "tour? I'll text you a link to pick a time that suits you.",
    )


def _first_booking(context: ComposeContext) -> Wording:
    facts = context.facts
    return Wording(
        subject=f"Ready for your first booking at {context.location_name}?",
        paragraphs=[
            f"Welcome again to {escape(context.location_name)}! You joined on "
            f"{escape(_human_date(facts['join_date']))}, and we noticed you haven't booked a desk or a meeting "
            "room yet.",
            "Booking takes seconds with the link below. If anything is unclear or you'd like a walk-through, "
            "reply and we'll help.",
        ],
        link=("booking_link", "Make my first booking"),
        voice=f"Hi {context.first_name}, this is {context.location_name}. Welcome again! We noticed you haven't "
        "made your first booking yet. Can we help you get started? I'll text you the booking link, and "
        "we're glad to show you around.",
    )


WORDINGS: dict[AgentType, Callable[[ComposeContext], Wording]] = {
    AgentType.due_invoice: _due_invoice,
    AgentType.contract_renewal: _contract_renewal,
    AgentType.lead_follow_up: _lead_follow_up,
    AgentType.first_booking: _first_booking,
}


def compose(agent_type: AgentType, context: ComposeContext, channel: Channel) -> Draft:
    """The draft in the location's voice: an email (with its link) and a call script (links go by SMS)."""
    wording = WORDINGS[agent_type](context)
    greeting = f"Hi {escape(context.first_name)}," if context.friendly else f"Dear {escape(context.customer_name)},"
    link_fact, link_text = wording.link
    body_html = _paragraphs(
        greeting,
        *wording.paragraphs,
        f'<a href="{context.fact(link_fact)}">{link_text}</a>',
        "Thanks, and see you at the space!" if context.friendly else "Kind regards,",
        _signature_html(context),
    )
    # The wording exists in English only; say so on the proposal rather than let it pass unnoticed.
    in_english = context.language.lower().split("-")[0] == "en"
    return Draft(
        channel=channel,
        subject=wording.subject,
        body_html=body_html,
        body_text=html_to_text(body_html),
        voice_script=wording.voice,
        risk_notes=[]
        if in_english
        else [
            f"Written in English although the location's language is {context.language!r}: the offline composer "
            "writes English only; configure a model (OUTREACH_LLM_MODEL) to write in the location's language."
        ],
    )


# --- conversation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TurnContext:
    customer_name: str
    signature: str
    location_name: str
    agent_type: AgentType
    facts: dict[str, str | int]


_INTENTS: list[tuple[TurnOutcome, str, re.Pattern[str]]] = [
    (
        TurnOutcome.escalate,
        "human",
        re.compile(r"\b(human|person|someone|manager|call me|speak to|talk to)\b", re.I),
    ),
    (
        TurnOutcome.escalate,
        "arrangement",
        re.compile(r"\b(extension|more time|payment plan|instal?lments?|can'?t pay|cannot pay|dispute)\b", re.I),
    ),
    (
        TurnOutcome.resolve,
        "paid",
        re.compile(r"\b(already paid|just paid|have paid|paid it|transferred)\b", re.I),
    ),
    (TurnOutcome.reply, "link", re.compile(r"\b(link|how (do|can) i pay|where.*pay|pay online)\b", re.I)),
    (TurnOutcome.resolve, "thanks", re.compile(r"\b(thanks|thank you|cheers|will do|on it)\b", re.I)),
]


def detect_intent(message: str) -> tuple[TurnOutcome, str]:
    for outcome, intent, pattern in _INTENTS:
        if pattern.search(message):
            return outcome, intent
    return TurnOutcome.reply, "other"


def answer(context: TurnContext, message: str) -> Turn:
    """Answer one customer message about the outreach and decide what happens next."""
    outcome, intent = detect_intent(message)
    first = escape(context.customer_name.split()[0] if context.customer_name.strip() else "there")
    facts = context.facts
    number = escape(str(facts.get("invoice_number", "")))
    link = escape(str(facts.get("payment_link", "")), quote=True)
    pay_link = f'<a href="{link}">Pay invoice {number}</a>' if link else ""
    lines: list[str]
    if intent == "paid":
        lines = [
            f"Thanks for letting us know, {first}!",
            f"Payments can take a business day or two to show up. I've noted that invoice {number} "
            "is paid; if it still shows as open after that, our team will get in touch.",
        ]
        summary = "Customer says the invoice is paid."
    elif intent == "link":
        lines = [f"Of course, {first}, here is the secure payment link for invoice {number}:", pay_link]
        summary = "Sent the payment link again."
    elif outcome is TurnOutcome.escalate:
        lines = [
            f"Thanks, {first}. I've passed this to our team at {escape(context.location_name)} "
            "together with our conversation, and someone will get back to you shortly.",
        ]
        summary = "Customer asked for a person or a payment arrangement; handed to the team."
    elif intent == "thanks":
        lines = [f"You're welcome, {first}! Let us know if there's anything else we can help with."]
        summary = "Customer acknowledged the reminder."
    else:
        lines = [
            f"Thanks for your reply, {first}.",
            f"Invoice {number} for {escape(str(facts.get('invoice_amount', '')))} is still open; you can pay it here:",
            pay_link,
            "If you'd rather talk it through with our team, just say so and I'll pass it on.",
        ]
        summary = "Answered with the invoice details."
    signature = "<br>".join(escape(line) for line in context.signature.splitlines()) or escape(
        f"The {context.location_name} team"
    )
    return Turn(reply_html=_paragraphs(*lines, signature), outcome=outcome, summary=summary)
