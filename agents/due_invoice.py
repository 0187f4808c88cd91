"""due_invoice: an invoice still unpaid N days after its due date — and, still unpaid, a second reminder and a
final one, each in its own words, each proposed once."""

from datetime import date, datetime, timedelta
from html import escape
from typing import Any

from sqlalchemy import case, literal, or_
from sqlmodel import Session, col, select

from agents.base import Agent, Candidates, ComposeContext, Intent, Scan, Wording, human_date, make_pattern
from domain.business_hours import on_clock
from domain.content import format_money
from models.messages import AgentType, Pattern, Priority, SendVerdict, ToolRequest, ToolStep, TurnOutcome
from models.tables import Customer, Invoice, Location, ProposedAction

# Customers with at least this many earlier late payments get the firmer wording.
HABITUAL_LATE_PAYMENTS = 2
# The reminders of one invoice, by how many days after the first (N days overdue) each is due: the first, the
# second, the final. The agent's cooldown keeps any two of them to one customer apart.
TIERS = (0, 10, 25)
TIER_NAMES = {1: "First reminder", 2: "Second reminder", 3: "Final reminder"}
# A payment reported on its way (a transfer made, a payment pending) has this long to arrive before reminders go on.
PAYMENT_CLEARS = timedelta(days=5)


def _cutoff(scan: Scan, tier: int) -> date:
    """Invoices due on or before this day are due reminder `tier` (1-based)."""
    return scan.today - timedelta(days=scan.policy.threshold_days + TIERS[tier - 1])


def _tier(scan: Scan, invoice: Invoice) -> int:
    return max(tier for tier in range(1, len(TIERS) + 1) if invoice.due_date <= _cutoff(scan, tier))


def reminder_key(number: str, tier: int) -> str:
    """`due_invoice:{number}` for the first reminder (as ever), `…:2` and `…:3` for the later ones."""
    return f"{AgentType.due_invoice.value}:{number}" + (f":{tier}" if tier > 1 else "")


def reminder_keys(number: str) -> tuple[str, ...]:
    """The dedup keys of every reminder of an invoice."""
    return tuple(reminder_key(number, tier) for tier in range(1, len(TIERS) + 1))


def _dedup_key(scan: Scan) -> Any:
    """`reminder_key` in SQL, the tier by the scan's day."""
    tier = case(
        (col(Invoice.due_date) <= _cutoff(scan, 3), literal(":3")),
        (col(Invoice.due_date) <= _cutoff(scan, 2), literal(":2")),
        else_=literal(""),
    )
    return literal(f"{AgentType.due_invoice.value}:") + col(Invoice.number) + tier


def _source(scan: Scan) -> Candidates:
    cutoff = _cutoff(scan, 1)
    return (
        select(Invoice, Customer)
        .join(Customer, col(Customer.id) == col(Invoice.customer_id))
        .where(
            col(Invoice.location_id) == scan.location.id,
            col(Invoice.paid_at).is_(None),
            col(Invoice.due_date) <= cutoff,
            # A payment reported on its way waits for it (`_waiting`).
            or_(
                col(Invoice.payment_reported_at).is_(None),
                col(Invoice.payment_reported_at) <= scan.as_of - PAYMENT_CLEARS,
            ),
        )
    )


def _pattern(scan: Scan, invoice: Invoice, customer: Customer, _session: Session) -> Pattern:
    amount = format_money(invoice.amount_cents, invoice.currency)
    days, tier = (scan.today - invoice.due_date).days, _tier(scan, invoice)
    priority = Priority.normal
    if days >= 60:
        priority = Priority.critical
    elif days >= 30 or invoice.amount_cents >= 100_000:
        priority = Priority.high
    return make_pattern(
        scan,
        customer,
        dedup_key=reminder_key(invoice.number, tier),
        reason=f"{TIER_NAMES[tier]}: invoice {invoice.number} for {amount} is {days} days overdue (due "
        f"{invoice.due_date.isoformat()}).",
        priority=priority,
        facts={
            "invoice_id": invoice.id,
            "invoice_number": invoice.number,
            "invoice_amount": amount,
            "amount_cents": invoice.amount_cents,
            "currency": invoice.currency,
            "due_date": invoice.due_date.isoformat(),
            "days_overdue": days,
            "payment_link": invoice.payment_link,
            "reminder": tier,
        },
    )


def _resolved(session: Session, action: ProposedAction, _at: datetime) -> str | None:
    invoice = session.get(Invoice, str(action.facts["invoice_id"]))
    if invoice is not None and invoice.paid_at is not None:
        return f"Invoice {invoice.number} has been paid."
    return None


def _waiting(session: Session, action: ProposedAction, at: datetime) -> SendVerdict | None:
    """A payment reported on its way holds the reminder until it has had time to arrive."""
    invoice = session.get(Invoice, str(action.facts["invoice_id"]))
    reported = invoice.payment_reported_at if invoice else None
    if reported is None or at >= reported + PAYMENT_CLEARS:
        return None
    until = reported + PAYMENT_CLEARS
    location = session.get(Location, action.location_id)
    zone = location.time_zone if location else "UTC"
    return SendVerdict(held_reason=f"A payment of the invoice was reported on {on_clock(reported, zone)}; the reminder "
                       f"waits for it until {on_clock(until, zone)}.", held_until=until)  # fmt: skip


def _wording(context: ComposeContext) -> Wording:
    facts = context.facts
    number, amount = context.fact("invoice_number"), context.fact("invoice_amount")
    due = escape(human_date(facts["due_date"]))
    said_due = f"{facts['invoice_number']} for {facts['invoice_amount']}, due on {human_date(facts['due_date'])}"
    link_text = f"Pay invoice {number}"
    if facts.get("reminder") == 3:
        return Wording(
            subject=f"Final reminder: invoice {facts['invoice_number']} for {facts['invoice_amount']}",
            paragraphs=[
                f"Invoice <strong>{number}</strong> for <strong>{amount}</strong> was due on {due} and is still "
                f"open, {context.fact('days_overdue')} days on. This is our last reminder before our team gets in "
                "touch with you about it personally.",
                "Please settle it within the next seven days with the link below. If there's a reason it is still "
                "open, a question about the amount or a payment already on its way, reply and we'll look at it "
                "right away.",
            ],
            link_text=link_text,
            voice=f"Hi {context.first_name}, this is {context.location_name} with a final reminder: invoice "
            f"{said_due}, is still open. Could you settle it within the next seven days? I'll text you the payment "
            "link. If something about it is wrong, or a payment is on its way, tell us and we'll look at it.",
        )
    if facts.get("reminder") == 2:
        return Wording(
            subject=f"Second reminder: invoice {facts['invoice_number']} for {facts['invoice_amount']}",
            paragraphs=[
                f"Invoice <strong>{number}</strong> for <strong>{amount}</strong>, due on {due}, is still open "
                f"{context.fact('days_overdue')} days after its due date.",
                "Could you pay it this week with the link below? If something about it is wrong, or paying is "
                "difficult right now, reply and we'll sort it out together.",
            ],
            link_text=link_text,
            voice=f"Hi {context.first_name}, this is {context.location_name} with a second reminder: invoice "
            f"{said_due}, is still open. Could you pay it this week? I'll text you the payment link. If something "
            "is in the way, tell us and we'll sort it out together.",
        )
    if context.earlier_late_payments >= HABITUAL_LATE_PAYMENTS:
        return Wording(
            subject=f"Action needed: invoice {facts['invoice_number']} is overdue",
            paragraphs=[
                f"Invoice <strong>{number}</strong> for <strong>{amount}</strong> was due on {due} and is still "
                "open. As a few recent invoices have also been paid late, we'd like to get this one settled promptly.",
                "Please pay it within the next few days using the link below. If something is making payment "
                "difficult, reply to this email and we'll work out a plan together.",
            ],
            link_text=f"Pay invoice {number}",
            voice=f"Hi {context.first_name}, this is {context.location_name} about invoice {facts['invoice_number']} "
            f"for {facts['invoice_amount']}, due on {human_date(facts['due_date'])} and still open. As a few recent "
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
        link_text=f"Pay invoice {number}",
        voice=f"Hi {context.first_name}, this is {context.location_name} with a quick reminder: invoice "
        f"{facts['invoice_number']} for {facts['invoice_amount']} was due on {human_date(facts['due_date'])}. "
        "It has probably just slipped through. I'll text you a secure payment link after this call. Thanks!",
    )


def _recap(context: ComposeContext) -> str:
    return (
        f"Invoice {context.fact('invoice_number')} for {context.fact('invoice_amount')} is still open; "
        "you can pay it here:"
    )


def _invoice_lookup(context: ComposeContext, _message: str, steps: list[ToolStep]) -> list[ToolRequest]:
    if steps:
        return []
    return [ToolRequest(call_id="invoice", name="invoice_details",
                        arguments={"invoice_number": str(context.facts["invoice_number"])})]  # fmt: skip


def _covers(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    """What the invoice is for, line by line, and its payment link, as the tool found them."""
    [step] = steps
    if not step.result.ok or not step.result.content.get("invoices"):
        return [f"I couldn't look invoice {context.fact('invoice_number')} up just now, {escape(context.first_name)}; "
                "our team can go through it with you if you reply asking for them."]  # fmt: skip
    [invoice] = step.result.content["invoices"]
    items = "".join(
        f"<li>{escape(item['description'])}"
        + (f" ({item['quantity']} x {escape(item['unit_price'])})" if item["quantity"] > 1 else "")
        + f": {escape(item['amount'])}</li>"
        for item in invoice["line_items"]
    )
    what = f"Invoice {escape(invoice['number'])} of {escape(invoice['amount'])}, due {escape(invoice['due_date'])}"
    lines = [f"Of course, {escape(context.first_name)}. {what}, covers:", f"<ul>{items}</ul>"]
    if invoice.get("payment_link"):
        lines.append(f'You can pay it here: <a href="{escape(invoice["payment_link"], quote=True)}">pay invoice '
                     f"{escape(invoice['number'])}</a>.")  # fmt: skip
    return lines


def _paid(context: ComposeContext) -> list[str]:
    # Never marked paid on the customer's word: the team checks, and the payment marks it when it arrives.
    return [
        f"Thanks for letting us know, {escape(context.first_name)}!",
        f"Payments can take a business day or two to show up. I've told our team you paid invoice "
        f"{context.fact('invoice_number')}; if it still shows as open after that, they'll get in touch.",
    ]


AGENT = Agent(
    type=AgentType.due_invoice,
    description="An invoice still unpaid N days after its due date.",
    threshold_days=5,
    auto_execute_safe=True,
    source=_source,
    key=col(Invoice.id),
    dedup_key=_dedup_key,
    pattern=_pattern,
    resolved=_resolved,
    waiting=_waiting,
    link_fact="payment_link",
    fresh_link="invoice_detail",
    wording=_wording,
    recap=_recap,
    intents=(
        # What an invoice reminder is about is the invoice: its lines, its amount, its link.
        Intent(
            TurnOutcome.reply,
            "about",
            "Explained what the invoice covers, line by line, with its payment link.",
            uses=_invoice_lookup,
            answered=_covers,
        ),
        Intent(
            TurnOutcome.reply,
            "invoice_detail",
            "Explained what the invoice covers, line by line, with its payment link.",
            uses=_invoice_lookup,
            answered=_covers,
        ),
        Intent(
            TurnOutcome.resolve,
            "paid",
            "Customer says the invoice is paid.",
            _paid,
        ),
    ),
)
