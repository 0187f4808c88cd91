"""Tools on the customer's account: an invoice with its line items, their contracts, and signed links into the
member portal."""

from typing import Any, Literal

from pydantic import Field
from sqlmodel import col, select

from activities.tools.context import Arguments, ToolContext, ToolRefused
from models.tables import Contract, Invoice, InvoiceLine, Plan


class InvoiceArgs(Arguments):
    invoice_number: str | None = Field(default=None, max_length=50, description="Without it: the open invoices")


class PortalLinkArgs(Arguments):
    purpose: Literal["pay_invoice", "book", "profile"]
    invoice_number: str | None = Field(default=None, max_length=50, description="For pay_invoice")


def _invoice(context: ToolContext, number: str) -> Invoice:
    invoice = context.session.exec(select(Invoice).where(col(Invoice.location_id) == context.location.id,
                                                         col(Invoice.number) == number)).first()  # fmt: skip
    if invoice is None or invoice.customer_id != context.customer.id:  # another customer's is none of theirs
        raise ToolRefused(f"{context.customer.name} has no invoice {number}.")
    return invoice


def _described(context: ToolContext, invoice: Invoice) -> dict[str, Any]:
    today = context.hours.local(context.now).date()
    lines = context.session.exec(select(InvoiceLine).where(col(InvoiceLine.invoice_id) == invoice.id)
                                 .order_by(col(InvoiceLine.id))).all()  # fmt: skip
    status = "paid" if invoice.paid_at else ("overdue" if invoice.due_date < today else "open")
    described: dict[str, Any] = {
        "number": invoice.number, "issued_on": invoice.issued_on.isoformat(), "due_date": invoice.due_date.isoformat(),
        "amount": context.money(invoice.amount_cents), "status": status,
        "line_items": [{"description": line.description, "quantity": line.quantity,
                        "unit_price": context.money(line.unit_amount_cents), "amount": context.money(line.amount_cents)}
                       for line in lines],
    }  # fmt: skip
    if status != "paid":
        described["payment_link"] = context.portal_link("pay_invoice", invoice.number)
    return described


def invoice_details(context: ToolContext, args: InvoiceArgs) -> dict[str, Any]:
    if args.invoice_number:
        return {"invoices": [_described(context, _invoice(context, args.invoice_number))]}
    unpaid = context.session.exec(
        select(Invoice).where(col(Invoice.customer_id) == context.customer.id, col(Invoice.paid_at).is_(None))
        .order_by(col(Invoice.due_date))).all()  # fmt: skip
    return {"invoices": [_described(context, invoice) for invoice in unpaid]}


def contract_details(context: ToolContext, _args: Arguments) -> dict[str, Any]:
    """The customer's own contracts at the location, latest first: plan, price, dates, and whether renewed."""
    rows = context.session.exec(
        select(Contract, Plan).join(Plan, col(Plan.id) == col(Contract.plan_id))
        .where(col(Contract.customer_id) == context.customer.id, col(Contract.location_id) == context.location.id)
        .order_by(col(Contract.ends_on).desc())).all()  # fmt: skip
    return {"contracts": [{"plan": plan.name, "monthly_price": context.money(plan.monthly_price_cents),
                           "starts_on": contract.starts_on.isoformat(), "ends_on": contract.ends_on.isoformat(),
                           "renewed": contract.renewed, "cancelled": contract.cancelled}
                          for contract, plan in rows]}  # fmt: skip


def portal_link(context: ToolContext, args: PortalLinkArgs) -> dict[str, Any]:
    reference = ""
    if args.purpose == "pay_invoice":
        if not args.invoice_number:
            raise ToolRefused("Say which invoice to pay (invoice_number).")
        reference = _invoice(context, args.invoice_number).number
    return {"purpose": args.purpose, "link": context.portal_link(args.purpose, reference),
            "expires_in_days": context.links.lifetime.days}  # fmt: skip
