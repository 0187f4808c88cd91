"""The evaluation scenarios: every agent x both channels x three customer histories, with the
location persona alternating between warm and professional."""

from dataclasses import dataclass

from agents.base import ComposeContext
from models.messages import AgentType, Channel

FACTS: dict[AgentType, dict[str, str | int]] = {
    AgentType.due_invoice: {
        "invoice_id": "ams-inv-1042",
        "invoice_number": "AMS-1042",
        "invoice_amount": "€1,250.00",
        "amount_cents": 125_000,
        "currency": "EUR",
        "due_date": "2026-11-02",
        "days_overdue": 19,
        "payment_link": "https://portal.canalhouse.example/pay/AMS-1042",
    },
    AgentType.contract_renewal: {
        "contract_id": "ams-c007-contract",
        "plan_name": "Dedicated Desk",
        "monthly_price": "€425.00",
        "end_date": "2026-12-05",
        "days_left": 14,
        "renewal_link": "https://portal.canalhouse.example/renew/ams-c007-contract",
    },
    AgentType.lead_follow_up: {
        "inquiry_id": "ams-c010-lead",
        "inquiry_date": "2026-11-09",
        "inquiry_message": "Looking for a private office for a team of 5. What are your rates?",
        "days_since_inquiry": 12,
        "tour_link": "https://portal.canalhouse.example/tour",
    },
    AgentType.first_booking: {
        "join_date": "2026-11-06",
        "days_since_joining": 15,
        "booking_link": "https://portal.canalhouse.example/book",
    },
    AgentType.tour_reminder: {
        "tour_id": "ams:ams-c010-tour",
        "tour_date": "2026-11-22",
        "tour_time": "11:00",
        "address": "Herengracht 182, 1016 BR Amsterdam",
        "tour_link": "https://portal.canalhouse.example/tour",
    },
    AgentType.tour_no_show: {
        "tour_id": "ams:ams-c015-tour",
        "tour_date": "2026-11-18",
        "tour_time": "14:30",
        "address": "Herengracht 182, 1016 BR Amsterdam",
        "tour_link": "https://portal.canalhouse.example/tour",
    },
    AgentType.booking_no_show: {
        "booking_id": "ams-c016-b0",
        "resource_name": "Harbour Room",
        "booking_date": "2026-11-17",
        "booking_from": "10:00",
        "booking_until": "12:00",
        "booking_link": "https://portal.canalhouse.example/book",
    },
    AgentType.re_engagement: {
        "check_in_id": "ams:ams-c018-2026-10-30",
        "last_visit": "2026-10-30",
        "days_since_visit": 22,
        "booking_link": "https://portal.canalhouse.example/book",
    },
    AgentType.at_risk: {
        "contract_id": "ams-c019-contract",
        "plan_name": "Dedicated Desk",
        "end_date": "2027-01-15",
        "visits_recent": 3,
        "visits_usual": 10,
        "booking_link": "https://portal.canalhouse.example/book",
    },
    AgentType.upsell: {
        "plan_id": "ams-plan-1",
        "plan_name": "Flex Desk",
        "plan_price": "€250.00",
        "better_plan": "Dedicated Desk",
        "better_price": "€425.00",
        "visits_recent": 18,
        "plans_link": "https://portal.canalhouse.example/plans",
    },
}

# The facts a message must state, beyond not inventing any.
KEY_FACTS: dict[AgentType, tuple[str, ...]] = {
    AgentType.due_invoice: ("invoice_number", "invoice_amount"),
    AgentType.contract_renewal: ("plan_name",),
    AgentType.lead_follow_up: (),
    AgentType.first_booking: (),
    AgentType.tour_reminder: ("tour_time", "address"),
    AgentType.tour_no_show: (),
    AgentType.booking_no_show: ("resource_name",),
    AgentType.re_engagement: (),
    AgentType.at_risk: ("plan_name",),
    AgentType.upsell: ("plan_name", "better_plan", "better_price"),
}

HISTORIES = {
    "first-time late payer": 0,
    "habitual late payer": 3,
    "new member": 0,
}
NAMES = {"first-time late payer": "Emma de Jong", "habitual late payer": "Liam Okafor", "new member": "Priya Patel"}


@dataclass(frozen=True)
class Scenario:
    name: str
    agent_type: AgentType
    channel: Channel
    history: str
    context: ComposeContext


# The later reminders of an invoice, with how overdue it is by then.
LATER_REMINDERS = {"second reminder": {"reminder": 2, "days_overdue": 16},
                   "final reminder": {"reminder": 3, "days_overdue": 31}}  # fmt: skip


def _variants() -> list[tuple[AgentType, str, dict[str, str | int]]]:
    """Each agent's facts, and an invoice's later reminders besides."""
    found = [(agent_type, "", facts) for agent_type, facts in FACTS.items()]
    due = FACTS[AgentType.due_invoice]
    return found + [(AgentType.due_invoice, f" · {name}", {**due, **later}) for name, later in LATER_REMINDERS.items()]


def scenarios() -> list[Scenario]:
    result: list[Scenario] = []
    for agent_type, variant, facts in _variants():
        for channel in (Channel.ai_email, Channel.voice):
            for history, late in HISTORIES.items():
                warm = len(result) % 2 == 0
                context = ComposeContext(
                    location_name="Canal House Amsterdam",
                    persona_tone="warm" if warm else "professional",
                    signature="The Canal House Amsterdam team",
                    customer_name=NAMES[history],
                    earlier_late_payments=late,
                    facts=facts,
                )
                name = f"{agent_type.value}{variant} · {channel.value} · {history} · {context.persona_tone}"
                result.append(Scenario(name, agent_type, channel, history, context))
    return result
