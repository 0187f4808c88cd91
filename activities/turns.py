"""The AI's turn in a conversation, as an activity: one step of it per activity (`converse`), so every model call
shows in the workflow's history next to the tool uses it asked for. It reads the situation from the database and
hands it to `conversation/`, where the turn is decided; a model answer that is not usable fails the attempt, so
Temporal retries it (`num_retries=0` in the model's calls).
"""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.briefs import customer_profile
from activities.llm import LLM_ATTEMPTS, compose_context, get
from activities.tools import tool_schemas
from conversation.model import Thinking
from conversation.situation import Situation
from conversation.think import Unusable, think
from models.db import session_scope
from models.messages import Channel, Sender, Turn, TurnRequest
from models.tables import Conversation, Customer, Invoice, Location, ProposedAction, Resource, TimelineEntry
from providers.llm import LanguageModel, Usage
from safeguards import model_budget


class ConversationActivities:
    def __init__(self, engine: Engine, model: LanguageModel | None, critical_dispute_cents: int,
                 budget_usd: float) -> None:  # fmt: skip
        self._engine = engine
        self._model = model  # None: the offline engine answers
        self._critical_dispute_cents = critical_dispute_cents
        self._budget_usd = budget_usd  # a location's monthly model budget, unless it sets its own

    @activity.defn
    async def converse(self, request: TurnRequest) -> Turn:
        """One step of the AI's turn: tools to use, or the answer and what happens next."""
        situation = await asyncio.to_thread(self.situation, request)

        async def spend(usage: Usage) -> None:
            await asyncio.to_thread(self._spend, situation.location_id, request.conversation_id, usage)

        thinking = Thinking(self._model, tool_schemas(), spend) if self._model else None
        try:
            return await think(situation, request, thinking, activity.info().attempt >= LLM_ATTEMPTS)
        except Unusable as error:
            raise ApplicationError(f"The model's answer was not usable: {error.reason}", type=error.kind) from error

    def situation(self, request: TurnRequest) -> Situation:
        """What a step of the turn reads (and an answer is checked against), as the database has it now."""
        with Session(self._engine) as session:
            action = get(session, ProposedAction, request.action_id) if request.action_id else None
            owner = action or get(session, Conversation, request.conversation_id)
            location = get(session, Location, owner.location_id)
            customer = get(session, Customer, owner.customer_id)
            facts = action.facts if action else {}
            entries = session.exec(
                select(TimelineEntry)
                .where(
                    col(TimelineEntry.conversation_id) == request.conversation_id,
                    col(TimelineEntry.sender).in_([Sender.customer, Sender.ai, Sender.operator]),
                    col(TimelineEntry.tool).is_(None),
                    col(TimelineEntry.id) != f"inbound:{request.message.id}",
                )
                .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
            ).all()
            # What a dispute would be about: the outreach's invoice, else the customer's largest open one.
            disputed = (
                int(facts.get("amount_cents") or 0)
                or session.exec(
                    select(func.coalesce(func.max(Invoice.amount_cents), 0)).where(
                        col(Invoice.customer_id) == customer.id, col(Invoice.paid_at).is_(None)
                    )
                ).one()
            )
            # What only a model reads (and its answer is checked against): not read for the offline engine.
            model = self._model is not None
            named = select(Resource.name).where(col(Resource.location_id) == location.id)
            resources = list(session.exec(named)) if model else []
            profile = customer_profile(session, customer, location, datetime.now(UTC)) if model else []
            spent = model_budget.spent(session, location, self._budget_usd, datetime.now(UTC)) if model else None
            others = tuple((place.name, place.address) for place in session.exec(
                select(Location).where(col(Location.id) != location.id).order_by(col(Location.name))))  # fmt: skip
        today = datetime.now(ZoneInfo(location.time_zone)).date()
        # A chat message or a call is no letter: no signature.
        live = request.message.channel in (Channel.chat, Channel.voice)
        context = replace(compose_context(location, customer, facts), today=today, signed=not live,
                          other_locations=others)  # fmt: skip
        story = {
            "location": location.name,
            "today": today.isoformat(),
            "persona": {
                "tone": location.persona_tone,
                "personality": location.persona_personality,
                "signature": location.persona_signature,
                "language": location.language,
            },
            "customer": profile,
            "outreach": {
                "agent": action.agent_type.value,
                "reason": action.reason,
                "facts": action.facts,
                "our_message": {"subject": action.subject, "text": action.body_text},
            }
            if action
            else "none: the customer wrote in themselves, in the members' chat",
            "exchange_so_far": [{"from": entry.sender.value, "text": entry.body} for entry in entries],
            "new_message_from_customer": request.message.body,
            "channel": request.message.channel.value,
        }
        earlier = [entry.body for entry in entries if entry.sender is Sender.customer]
        return Situation(action.agent_type if action else None, context, earlier, disputed,
                         self._critical_dispute_cents, story, resources, location.id, spent)  # fmt: skip

    def _spend(self, location_id: str, conversation_id: str, usage: Usage) -> None:
        with session_scope(self._engine) as session:
            at = datetime.now(UTC)
            model_budget.record(session, location_id, usage, model_budget.CONVERSATION, conversation_id, at)
