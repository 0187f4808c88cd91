"""One step of a turn: the engine's own rules first (`policy`), then the model — or, without one, the offline
engine. Its answer is checked against the facts. A model that answers, but with nothing usable attempt after
attempt, is stood in for by the offline engine, whose every fact is exact; a provider that gives no answer at all
hands the conversation to the team honestly."""

import asyncio
import logging

from conversation import offline, policy
from conversation.model import Thinking, UnusableAnswer
from conversation.situation import Situation
from models.messages import Escalation, EscalationReason, Turn, TurnOutcome, TurnRequest
from providers.llm import advice

# Errors of the provider that another attempt cannot fix: the conversation goes to the team at once.
PERMANENT = frozenset({"AuthenticationError", "BadRequestError", "NotFoundError"})

logger = logging.getLogger(__name__)


class Unusable(Exception):
    """The model's answer was not usable this time; another attempt may do better."""

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


async def think(situation: Situation, request: TurnRequest, thinking: Thinking | None, last_attempt: bool) -> Turn:
    """The next step of the turn: tools to use, or the answer and what happens next — and, answered, whether the
    customer says they paid or that they are leaving (read by the engine, whoever answered). Raises Unusable when
    the model's answer cannot be used and this is not the `last_attempt`. Reading the customer's words is work for
    a thread, never for the event loop that also serves calls."""
    turn = await _decide(situation, request, thinking, last_attempt)
    if turn.tool_calls or turn.outcome is TurnOutcome.escalate:
        return turn  # an escalated claim of payment is the team's to look into
    told = await asyncio.to_thread(policy.reported, request.message.body)
    return turn.model_copy(update={"payment_reported": "paid" in told, "leaving_said": "lost" in told})


async def _decide(situation: Situation, request: TurnRequest, thinking: Thinking | None, last_attempt: bool) -> Turn:
    ruled = await asyncio.to_thread(policy.ruled, situation, request)
    if ruled is not None:
        if thinking is None:
            return await asyncio.to_thread(offline.in_their_language, ruled, request.message.body, situation.context)
        return await _in_their_words(thinking, situation, request, ruled)
    if thinking is None:
        return await asyncio.to_thread(_offline, situation, request)
    if situation.budget_spent:
        spent = Escalation(reason=EscalationReason.ai_budget_spent, detail=situation.budget_spent)
        return offline.handed_over(situation.context, policy.priced(situation, spent, request))
    try:
        turn = await thinking.turn(situation, request)
    except Exception as error:
        fix = advice(error)
        reason = f"{type(error).__name__}: {error}"[:300] + (f" — {fix}" if fix else "")
        if type(error).__name__ not in PERMANENT and not last_attempt:
            raise Unusable(reason, type(error).__name__) from error
        if isinstance(error, UnusableAnswer):
            logger.warning("The model gave no usable answer; the offline engine answers: %s", reason)
            turn = await asyncio.to_thread(_offline, situation, request)
            return turn.model_copy(update={"model_unusable": reason})
        logger.warning("The model gave no usable answer; the team takes over: %s", reason)
        unusable = Escalation(reason=EscalationReason.ai_unavailable,
                              detail=f"The AI could not give a usable answer ({reason}).")  # fmt: skip
        return offline.handed_over(situation.context, policy.priced(situation, unusable, request))
    return await asyncio.to_thread(policy.with_priority, situation, request, turn)


def _offline(situation: Situation, request: TurnRequest) -> Turn:
    turn = offline.answer(situation.agent_type, situation.context, request.message.body, request.steps,
                          request.answer_now, bool(situation.earlier), request.offers)  # fmt: skip
    turn = offline.in_their_language(turn, request.message.body, situation.context)
    return policy.with_priority(situation, request, turn)


async def _in_their_words(thinking: Thinking | None, situation: Situation, request: TurnRequest, ruled: Turn) -> Turn:
    """What the engine decided, in the customer's language when a model can say it; else in its own words."""
    if thinking is None or ruled.tool_calls or situation.budget_spent:
        return ruled
    try:
        return await thinking.in_their_words(situation, request, ruled)
    except Exception as error:
        logger.warning("The engine's own words are used: %s", f"{type(error).__name__}: {error}"[:300])
        return ruled
