"""Confidence: how sure we are a proposal is right to send, 0-100, with the reasons that produced it.
Auto-execution compares it with the agent's threshold; operators see the reasons."""

from datetime import date, datetime, timedelta

from models.messages import Pattern
from models.tables import Customer


def score(
    pattern: Pattern, customer: Customer, last_contact: datetime | None, today: date, as_of: datetime
) -> tuple[int, list[str]]:
    points = 40
    reasons = ["40 base"]

    def add(delta: int, why: str) -> None:
        nonlocal points
        points += delta
        reasons.append(f"{delta:+d} {why}")

    if customer.email:
        add(20, "email address on file")
    else:
        add(-20, "no email address")
    if customer.mobile_phone:
        add(5, "mobile number on file")
    if len(customer.name.split()) >= 2:
        add(10, "full name known")
    if all(value not in ("", None) for value in pattern.facts.values()):
        add(10, "all facts of the situation known")
    if customer.joined_on is not None and (today - customer.joined_on).days >= 90:
        add(10, "established customer (90+ days)")
    if last_contact is not None and as_of - last_contact < timedelta(days=30):
        add(-15, "contacted in the last 30 days")
    age = next(
        (int(pattern.facts[key]) for key in ("days_overdue", "days_since_inquiry") if key in pattern.facts), None
    )
    if age is not None and age > 90:
        add(-20, f"situation is {age} days old; a person may know more")
    elif age is not None:
        add(5, "recent situation")
    return max(0, min(100, points)), reasons
