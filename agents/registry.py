"""Every agent type the product runs. A new agent type is one module in this package and one line here."""

from agents import (
    at_risk,
    booking_no_show,
    cancellation_risk,
    category_spike,
    contract_renewal,
    due_invoice,
    faq_gap,
    first_booking,
    lead_follow_up,
    lead_scoring,
    re_engagement,
    tour_no_show,
    tour_reminder,
    upsell,
)
from agents.base import Agent, TeamAgent
from models.messages import AgentType

AGENTS: dict[AgentType, Agent] = {
    agent.type: agent
    for agent in (
        due_invoice.AGENT,
        contract_renewal.AGENT,
        lead_follow_up.AGENT,
        first_booking.AGENT,
        tour_reminder.AGENT,
        tour_no_show.AGENT,
        booking_no_show.AGENT,
        re_engagement.AGENT,
        at_risk.AGENT,
        upsell.AGENT,
    )
}

TEAM_AGENTS: dict[AgentType, TeamAgent] = {
    agent.type: agent for agent in (faq_gap.AGENT, category_spike.AGENT, cancellation_risk.AGENT, lead_scoring.AGENT)
}

# Every agent, for what the operator reads and sets up: customers' first, then the team's.
ROSTER: dict[AgentType, Agent | TeamAgent] = {**AGENTS, **TEAM_AGENTS}
