"""What a turn knows beyond the message. The activity that thinks reads it from the database (`activities/turns.py`);
everything in this room decides from it alone."""

from dataclasses import dataclass
from typing import Any

from agents.base import ComposeContext
from models.messages import AgentType


@dataclass(frozen=True)
class Situation:
    """The agent, the persona and facts, what the customer said before in this conversation, the amount a dispute
    would be about (and from which amount a dispute is Critical), and — for a model — the rest of the story."""

    agent_type: AgentType | None  # None: the members' chat, which the customer started
    context: ComposeContext
    earlier: list[str]
    disputed_cents: int
    critical_dispute_cents: int
    story: dict[str, Any]  # the DATA block a model reads
    resources: list[str]  # the location's resources by name: an answer may name only those the tools found
    location_id: str
    budget_spent: str | None  # why no model may be called (the location's monthly budget spent), if so
