"""An agent's configuration as one detection run applies it: frozen into each outreach it starts."""

from datetime import timedelta

from models.messages import AgentPolicy
from models.tables import AgentConfig, Location

# How long after delivery a reply still opens a conversation, and how long a conversation may
# sit idle before it is closed.
REPLY_WINDOW = timedelta(days=14)
CONVERSATION_IDLE = timedelta(days=7)
# However often a proposal is snoozed, it expires this long after it was proposed.
SNOOZE_CAP = timedelta(days=14)


def agent_policy(config: AgentConfig, location: Location) -> AgentPolicy:
    return AgentPolicy(
        agent_type=config.agent_type,
        threshold_days=config.threshold_days,
        channel=config.default_channel,
        expiry=timedelta(hours=config.expiry_hours),
        snooze_cap=SNOOZE_CAP,
        reply_window=REPLY_WINDOW,
        conversation_idle=CONVERSATION_IDLE,
        cooldown=timedelta(days=config.cooldown_days),
        min_gap=timedelta(hours=location.customer_min_gap_hours),
        contact_budget=location.contact_budget,
        contact_window=timedelta(days=location.contact_budget_days),
        daily_max=config.daily_max,
        auto_execute=config.auto_execute,
        confidence_threshold=config.confidence_threshold,
        enforce_business_hours=config.enforce_business_hours,
        voice_enabled=location.voice_enabled,
        custom_instructions=config.custom_instructions,
    )
