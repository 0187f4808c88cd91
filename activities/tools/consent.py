"""The customer's consent as a tool: a customer who asks, in any words, to hear no more is opted out by the AI
that reads it — the same opt-out as the API's."""

from typing import Any

from activities.tools.context import ToolContext
from activities.tools.space import NoArguments
from inbound import consent


def opt_out(context: ToolContext, _args: NoArguments) -> dict[str, Any]:
    """Opt the customer out; the proposals it leaves undelivered are cancelled once this has committed."""
    return {"opted_out": True, "cancelled_proposals": consent.withdraw(context.session, context.customer)}
