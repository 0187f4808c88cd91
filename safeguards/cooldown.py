"""The cooldown (per agent and customer) and the minimum gap (per customer, across agents)."""

from datetime import datetime

from models.messages import AgentPolicy


def in_cooldown(last_by_agent: datetime | None, at: datetime, policy: AgentPolicy) -> bool:
    """This agent reached the customer less than its cooldown ago."""
    return last_by_agent is not None and at - last_by_agent < policy.cooldown


def in_min_gap(last_by_anyone: datetime | None, at: datetime, policy: AgentPolicy) -> bool:
    """Any agent reached the customer less than the location's minimum gap ago."""
    return last_by_anyone is not None and at - last_by_anyone < policy.min_gap
