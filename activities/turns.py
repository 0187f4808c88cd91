"""The AI's turn in a conversation: one step of it per activity (`converse`), so every model call shows in the
workflow's history next to the tool uses it asked for.

Whatever the AI would say, the engine first honours an opt-out (the `opt_out` tool, then one polite sentence) and
hands to the team a customer who must reach a person (`domain/escalation.py`). Then the AI answers: with
`OUTREACH_LLM_MODEL` set, the model through litellm (`num_retries=0`: Temporal retries), calling the tools and
finally `answer`; without one, the offline engine. A model answer that states what neither the facts nor the
tools' results contain fails the attempt; after the last attempt the conversation goes to the team, honestly.
"""

import asyncio
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import offline, turn_prompts
from activities.briefs import customer_profile
from activities.llm import LLM_ATTEMPTS, compose_context, get
from activities.tools import OPT_OUT, tool_schemas
from agents.base import ComposeContext
from domain import escalation
from domain.content import html_to_text, sanitize_html
from domain.opt_out import asks_to_opt_out
from models.db import session_scope
from models.messages import (
    AgentType,
    Channel,
    Escalation,
    EscalationReason,
    Sender,
    ToolRequest,
    Turn,
    TurnOutcome,
    TurnRequest,
)
from models.tables import Conversation, Customer, Invoice, Location, ProposedAction, Resource, TimelineEntry
from providers.llm import FunctionCall, LanguageModel, Usage
from safeguards import model_budget

# Errors of the provider that a retry cannot fix: the conversation goes to the team at once.
PERMANENT = frozenset({"AuthenticationError", "BadRequestError", "NotFoundError"})


@dataclass(frozen=True)
class Situation:
    """What a turn knows beyond the message: the agent, the persona and facts, what the customer said before in
    this conversation, the amount a dispute would be about, and — for a model — the rest of the story."""

    agent_type: AgentType | None  # None: the members' chat, which the customer started
    context: ComposeContext
    earlier: list[str]
    disputed_cents: int
    story: dict[str, Any]  # the DATA block a model reads
    resources: list[str]  # the location's resources by name: an answer may name only those the tools found
    location_id: str
    budget_spent: str | None  # why no model may be called (the location's monthly budget spent), if so


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
        situation = await asyncio.to_thread(self._situation, request)
        ruled = self._ruled(situation, request)
        if ruled is not None:
            return await self._in_their_words(situation, request, ruled)
        if self._model is None:
            return self._with_priority(situation, request, self._offline(situation, request))
        if situation.budget_spent:
            spent = Escalation(reason=EscalationReason.ai_budget_spent, detail=situation.budget_spent)
            return offline.handed_over(situation.context, self._priced(situation, spent, request))
        try:
            return self._with_priority(situation, request, await self._model_turn(self._model, situation, request))
        except Exception as error:
            reason = f"{type(error).__name__}: {error}"[:300]
            if type(error).__name__ in PERMANENT or activity.info().attempt >= LLM_ATTEMPTS:
                activity.logger.warning("The model gave no usable answer; the team takes over: %s", reason)
                unusable = Escalation(reason=EscalationReason.ai_unavailable,
                                      detail=f"The AI could not give a usable answer ({reason}).")  # fmt: skip
                return offline.handed_over(situation.context, self._priced(situation, unusable, request))
            raise ApplicationError(f"The model's answer was not usable: {reason}", type=type(error).__name__) from error

    def _situation(self, request: TurnRequest) -> Situation:
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
        today = datetime.now(ZoneInfo(location.time_zone)).date()
        # A chat message or a call is no letter: no signature.
        live = request.message.channel in (Channel.chat, Channel.voice)
        context = replace(compose_context(location, customer, facts), today=today, signed=not live)
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
        return Situation(action.agent_type if action else None, context, earlier, disputed, story, resources,
                         location.id, spent)  # fmt: skip

    async def _call_model(
        self,
        model: LanguageModel,
        situation: Situation,
        request: TurnRequest,
        chat: list[dict[str, Any]],
        functions: list[dict[str, Any]],
        only: str | None,
        temperature: float,
    ) -> list[FunctionCall]:
        """One model call, its cost written down against the location's budget before its answer is judged."""
        called = await model.call_functions(chat, functions, only, temperature=temperature)
        await asyncio.to_thread(self._spend, situation.location_id, request.conversation_id, called.usage)
        return called.calls

    def _spend(self, location_id: str, conversation_id: str, usage: Usage) -> None:
        with session_scope(self._engine) as session:
            at = datetime.now(UTC)
            model_budget.record(session, location_id, usage, model_budget.CONVERSATION, conversation_id, at)

    def _priced(self, situation: Situation, said: Escalation, request: TurnRequest) -> Escalation:
        """The escalation with the priority that follows from why, the same way whoever decided it."""
        handed = escalation.escalation(said.reason, request.message.body, situation.disputed_cents,
                                       self._critical_dispute_cents)  # fmt: skip
        return handed.model_copy(update={"detail": said.detail or handed.detail})

    def _ruled(self, situation: Situation, request: TurnRequest) -> Turn | None:
        """What the engine decides whatever the AI would: an opt-out (the tool first, then one polite sentence),
        and the escalations a customer must never be kept from."""
        text, steps = request.message.body, request.steps
        capped = next((step.result for step in steps if step.result.limit_reached), None)
        if capped is not None:  # nothing was booked: a person makes it, or decides not to
            handed = Escalation(reason=EscalationReason.booking_limit, detail=capped.error or "")
            return offline.handed_over(situation.context, self._priced(situation, handed, request))
        opting_out = any(step.request.name == OPT_OUT for step in steps)
        if asks_to_opt_out(text) and not opting_out:
            return Turn(reply_html="", outcome=TurnOutcome.resolve, summary="Opting the customer out.",
                        tool_calls=[ToolRequest(call_id=OPT_OUT, name=OPT_OUT)])  # fmt: skip
        if opting_out and asks_to_opt_out(text):
            turn = offline.opted_out(situation.context)
            # An opt-out is no complaint, unless it also is one.
            also = escalation.complaint_or_dispute(text)
            if also is None:
                return turn
            handed = self._priced(situation, Escalation(reason=also), request)
            return turn.model_copy(update={"outcome": TurnOutcome.escalate, "escalation": handed,
                                           "summary": f"{turn.summary} {handed.detail}"})  # fmt: skip
        reason = escalation.triggered(text, situation.earlier, sum(not step.result.ok for step in steps))
        if reason is None:
            return None
        return offline.handed_over(situation.context, self._priced(situation, Escalation(reason=reason), request))

    async def _in_their_words(self, situation: Situation, request: TurnRequest, ruled: Turn) -> Turn:
        """What the engine decided, said by the model in the customer's language; the engine's own (English)
        words when there is no model or its answer is not usable, so a decision is never held up by it."""
        if self._model is None or ruled.tool_calls or situation.budget_spent:
            return ruled
        chat = turn_prompts.messages(situation.story, request.steps)
        chat.insert(
            1, {"role": "system", "content": turn_prompts.decided(ruled.outcome, html_to_text(ruled.reply_html))}
        )
        try:
            [call] = await self._call_model(self._model, situation, request, chat, [turn_prompts.answer_function()],
                                            turn_prompts.ANSWER, temperature=0.2)  # fmt: skip
            answer = _checked(call.arguments, situation, request)
        except Exception as error:
            activity.logger.warning("The engine's own words are used: %s", f"{type(error).__name__}: {error}"[:300])
            return ruled
        return ruled.model_copy(update={"reply_html": sanitize_html(answer.reply_html)})

    def _with_priority(self, situation: Situation, request: TurnRequest, turn: Turn) -> Turn:
        if turn.outcome is not TurnOutcome.escalate:
            return turn
        said = turn.escalation or Escalation(reason=EscalationReason.needs_judgement, detail=turn.summary)
        return turn.model_copy(update={"escalation": self._priced(situation, said, request)})

    @staticmethod
    def _offline(situation: Situation, request: TurnRequest) -> Turn:
        return offline.answer(situation.agent_type, situation.context, request.message.body, request.steps,
                              request.answer_now, answered_before=bool(situation.earlier))  # fmt: skip

    async def _model_turn(self, model: LanguageModel, situation: Situation, request: TurnRequest) -> Turn:
        """One model call: the tools it wants next, or its checked answer."""
        chat = turn_prompts.messages(situation.story, request.steps)
        functions = [*tool_schemas(), turn_prompts.answer_function()]
        only = turn_prompts.ANSWER if request.answer_now else None
        calls = await self._call_model(model, situation, request, chat, functions, only, temperature=0.3)
        answers = [call for call in calls if call.name == turn_prompts.ANSWER]
        if not answers:
            if not calls:
                raise ValueError("the model called no function")
            # Arguments that are not JSON still go to the tool, which answers what is wrong with them.
            wanted = [ToolRequest(call_id=call.call_id, name=call.name, arguments=_arguments(call.arguments))
                      for call in calls]  # fmt: skip
            return Turn(reply_html="", outcome=TurnOutcome.reply, summary="Using tools.", tool_calls=wanted)
        answer = _checked(answers[0].arguments, situation, request)
        reply_html = sanitize_html(answer.reply_html)
        summary = answer.summary or html_to_text(reply_html)[:200]
        # Without a reason the engine assumes one (`_with_priority`), as for every escalation.
        said = answer.escalation_reason if answer.outcome is TurnOutcome.escalate else None
        return Turn(reply_html=reply_html, outcome=answer.outcome, summary=summary,
                    escalation=Escalation(reason=said, detail=summary) if said else None)  # fmt: skip


def _checked(arguments: str, situation: Situation, request: TurnRequest) -> turn_prompts.TurnAnswer:
    """The model's `answer` call, or ValueError: malformed, or stating what neither the facts nor the tools say."""
    try:
        answer = turn_prompts.TurnAnswer.model_validate_json(arguments)
    except ValidationError as error:
        raise ValueError(f"malformed answer: {error.errors()[0]['msg']}") from error
    unfounded = turn_prompts.unfounded(answer.reply_html, situation.context.facts, request.steps,
                                       situation.resources)  # fmt: skip
    if unfounded:
        raise ValueError(f"states what neither the facts nor the tools say: {', '.join(unfounded)}")
    return answer


def _arguments(raw: str) -> dict[str, Any]:
    try:
        parsed = json.loads(raw or "{}")
    except json.JSONDecodeError:
        parsed = None
    return parsed if isinstance(parsed, dict) else {"malformed_json": raw[:500]}
