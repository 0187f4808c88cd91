"""An agent's configuration as one detection run applies it: frozen into each outreach it starts."""

from datetime import timedelta

from models.messages import AgentPolicy
from models.tables import AgentConfig, AgentSettings, Location

# How long after delivery a reply still opens a conversation, and how long a conversation may
# sit idle before it is closed.
REPLY_WINDOW = timedelta(days=14)
CONVERSATION_IDLE = timedelta(days=7)
# However often a proposal is snoozed, it expires this long after it was proposed.
SNOOZE_CAP = timedelta(days=14)


def agent_policy(config: AgentConfig, location: Location) -> AgentPolicy:
    """The settings a run applies: those the policy names as the settings do, as they are; the rest converted
    (days and hours to durations) or the location's own."""
    same = config.model_dump(include=AgentSettings.model_fields.keys() & AgentPolicy.model_fields.keys())
    return AgentPolicy(
        **same,
        agent_type=config.agent_type,
        channel=config.default_channel,
        expiry=timedelta(hours=config.expiry_hours),
        cooldown=timedelta(days=config.cooldown_days),
        snooze_cap=SNOOZE_CAP,
        reply_window=REPLY_WINDOW,
        conversation_idle=CONVERSATION_IDLE,
        min_gap=timedelta(hours=location.customer_min_gap_hours),
        contact_budget=location.contact_budget,
        contact_window=timedelta(days=location.contact_budget_days),
        voice_enabled=location.voice_enabled,
    )
