"""`{{variables}}` in operator-edited drafts: names from an allow-list, values from the situation,
HTML-escaped where they land in HTML. Operator text is never evaluated as a template: the only
thing that happens to it is this one substitution."""

import re
from html import escape

VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")

# The names an operator may use, and the facts they come from (None: not a situation fact).
ALLOWED: dict[str, str | None] = {
    "customer_name": None,
    "first_name": None,
    "location_name": None,
    "invoice_number": "invoice_number",
    "invoice_amount": "invoice_amount",
    "due_date": "due_date",
    "payment_link": "payment_link",
    "plan_name": "plan_name",
    "end_date": "end_date",
    "renewal_link": "renewal_link",
    "tour_link": "tour_link",
    "booking_link": "booking_link",
    "join_date": "join_date",
}


def used(text: str) -> list[str]:
    return list(VARIABLE.findall(text))


def values(customer_name: str, location_name: str, facts: dict[str, str | int]) -> dict[str, str]:
    """Every variable this situation can fill."""
    result = {
        "customer_name": customer_name,
        "first_name": customer_name.split()[0] if customer_name.strip() else "",
        "location_name": location_name,
    }
    for name, fact in ALLOWED.items():
        if fact is not None and fact in facts:
            result[name] = str(facts[fact])
    return result


def problems(text: str, available: dict[str, str]) -> str | None:
    """A sentence naming the variables that cannot be filled here, or None when all can."""
    choices = ", ".join("{{" + name + "}}" for name in sorted(available))
    for name in used(text):
        if name not in ALLOWED:
            return f"Unknown variable {{{{{name}}}}}; use one of: {choices}."
        if name not in available:
            return f"{{{{{name}}}}} has no value for this proposal; use one of: {choices}."
    return None


def resolve(text: str, available: dict[str, str], *, html: bool) -> str:
    """Fill every variable; values are escaped when the text is HTML. Unfillable ones stay visible
    (validation rejects them before this point)."""

    def fill(match: re.Match[str]) -> str:
        value = available.get(match.group(1))
        if value is None:
            return match.group(0)
        return escape(value, quote=True) if html else value

    return VARIABLE.sub(fill, text)
