"""Composition and conversation turns.

With `OUTREACH_LLM_MODEL` set, drafts come from that model through litellm with `num_retries=0`:
Temporal owns the retries, so every attempt shows in the workflow history. A malformed answer or an
invented fact fails the attempt; after the last attempt (or an error that retrying cannot fix) the
offline composer's draft is used and the proposal says so. Without a model, the offline composer
writes every draft. The context both get (persona, customer history, facts) is the same.
"""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from pydantic import ValidationError
from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import offline
from activities.heartbeats import beating
from activities.prompts import ComposedDraft, messages
from agents.base import ComposeContext
from agents.registry import AGENTS, TEAM_AGENTS
from domain.content import html_to_text, sanitize_html
from domain.facts import invented_facts
from models.db import session_scope
from models.messages import (
    AgentType,
    Channel,
    Draft,
    OutreachInput,
)
from models.tables import Booking, Customer, Invoice, Location, Plan
from providers.llm import LanguageModel, Usage
from safeguards import model_budget

# Attempts the model gets before the offline composer takes over.
LLM_ATTEMPTS = 3

T = TypeVar("T", bound=SQLModel)


def get(session: Session, model: type[T], key: str | None) -> T:
    """The row, which must exist (None: a team proposal's customer, which does not)."""
    row = session.get(model, key) if key is not None else None
    if row is None:
        raise ApplicationError(f"{model.__name__} {key} does not exist", type="NotFound", non_retryable=True)
    return row


def compose_context(
    location: Location, customer: Customer, facts: dict[str, str | int], earlier_late_payments: int = 0
) -> ComposeContext:
    """The location's persona and the customer, as the composer and the conversation engine see them."""
    return ComposeContext(
        location_name=location.name,
        persona_tone=location.persona_tone,
        signature=location.persona_signature,
        personality=location.persona_personality,
        language=location.language,
        customer_name=customer.name,
        earlier_late_payments=earlier_late_payments,
        facts=facts,
    )


def _charged(usage: Usage, draft: Draft) -> Draft:
    """The draft with `usage` added to what it already cost."""
    return draft.model_copy(update=(usage + Usage.model_validate(draft, from_attributes=True)).model_dump())


class DraftRejected(Exception):
    """The model answered, but not with a draft we may show an operator."""

    def __init__(self, reason: str, usage: Usage) -> None:
        super().__init__(reason)
        self.usage = usage


async def model_draft(
    model: LanguageModel,
    agent_type: AgentType,
    channel: Channel,
    context: ComposeContext,
    history: dict[str, object],
    instructions: str,
) -> Draft:
    """One draft from the configured model, or DraftRejected / the provider's error."""
    facts = context.facts
    answer = await model.answer_json(messages(agent_type, context, history, instructions), temperature=0.4)
    usage = answer.usage
    try:
        composed = ComposedDraft.model_validate_json(answer.content)
    except ValidationError as error:
        raise DraftRejected(f"malformed answer: {error.errors()[0]['msg']}", usage) from error
    invented = invented_facts(" ".join([composed.subject, composed.body_html, composed.voice_script]), facts)
    if invented:
        raise DraftRejected(f"states facts the situation does not: {', '.join(invented)}", usage)
    link = facts.get(AGENTS[agent_type].link_fact)
    if link and str(link) not in composed.body_html:
        raise DraftRejected("the email does not contain the situation's link", usage)
    body_html = sanitize_html(composed.body_html)
    return _charged(
        usage,
        Draft(
            channel=channel,
            subject=composed.subject,
            body_html=body_html,
            body_text=html_to_text(body_html),
            voice_script=composed.voice_script,
            composed_by=model.name,
            risk_notes=composed.risk_notes,
        ),
    )


class LlmActivities:
    def __init__(self, engine: Engine, model: LanguageModel | None, budget_usd: float) -> None:
        self._engine = engine
        # None: no model is configured, and the offline composer writes every draft.
        self._model = model
        self._budget_usd = budget_usd  # a location's monthly model budget, unless it sets its own

    def _context(self, request: OutreachInput) -> tuple[ComposeContext, dict[str, object], str | None]:
        """The location's persona and what we know of the customer, read fresh for each draft; and why no model
        may write it (the location's monthly budget spent), if so."""
        pattern = request.pattern
        with Session(self._engine) as session:
            location = get(session, Location, pattern.location_id)
            spent = model_budget.spent(session, location, self._budget_usd, datetime.now(UTC)) if self._model else None
            customer = get(session, Customer, pattern.customer_id)
            paid = session.exec(
                select(Invoice).where(
                    col(Invoice.customer_id) == customer.id,
                    col(Invoice.id) != pattern.facts.get("invoice_id"),
                    col(Invoice.paid_at).is_not(None),
                )
            ).all()
            late = sum(
                1 for invoice in paid if invoice.paid_at is not None and invoice.paid_at.date() > invoice.due_date
            )
            recent_bookings = session.exec(
                select(func.count())
                .select_from(Booking)
                .where(
                    col(Booking.customer_id) == customer.id,
                    col(Booking.starts_at) >= datetime.now(UTC) - timedelta(days=30),
                )
            ).one()
            plan = session.get(Plan, customer.plan_id) if customer.plan_id else None
        context = compose_context(location, customer, pattern.facts, earlier_late_payments=late)
        history: dict[str, object] = {
            "kind": customer.kind,
            "plan": plan.name if plan else None,
            "member_since": customer.joined_on.isoformat() if customer.joined_on else None,
            "invoices_paid_on_time": len(paid) - late,
            "invoices_paid_late": late,
            "bookings_last_30_days": recent_bookings,
        }
        return context, history, spent

    def _spend(self, location_id: str, outreach_id: str, usage: Usage) -> None:
        with session_scope(self._engine) as session:
            model_budget.record(session, location_id, usage, model_budget.DRAFT, outreach_id, datetime.now(UTC))

    @activity.defn
    async def compose_draft(self, request: OutreachInput) -> Draft:
        """Write the draft for a detected pattern in the location's voice, email and call script both (a team
        agent's draft is the one it found)."""
        if request.pattern.agent_type in TEAM_AGENTS:
            return TEAM_AGENTS[request.pattern.agent_type].draft(request.pattern)
        # What earlier attempts spent travels in their last heartbeat, so the proposal shows the whole cost.
        details = activity.info().heartbeat_details
        spent = Usage.model_validate(details[0]) if details else Usage()
        # Beating throughout (a model call may take as long as its timeout) lets a dead worker be noticed sooner.
        async with beating(spent):
            return await self._compose(request, spent)

    async def _compose(self, request: OutreachInput, spent: Usage) -> Draft:
        context, history, budget_spent = await asyncio.to_thread(self._context, request)
        pattern, channel = request.pattern, request.policy.channel
        fallback = offline.compose(pattern.agent_type, context, channel)
        if self._model is None:
            return fallback
        if budget_spent:
            return _charged(spent, fallback.model_copy(update={"fallback_reason": budget_spent}))
        outreach_id = activity.info().workflow_id or pattern.dedup_key
        try:
            draft = await model_draft(
                self._model, pattern.agent_type, channel, context, history, request.policy.custom_instructions
            )
        except Exception as error:
            billed = error.usage if isinstance(error, DraftRejected) else Usage()
            await asyncio.to_thread(self._spend, pattern.location_id, outreach_id, billed)
            spent += billed
            reason = f"{type(error).__name__}: {error}"[:300]
            permanent = type(error).__name__ in {"AuthenticationError", "BadRequestError", "NotFoundError"}
            if permanent or activity.info().attempt >= LLM_ATTEMPTS:
                activity.logger.warning("Falling back to the offline composer: %s", reason)
                return _charged(
                    spent, fallback.model_copy(update={"composed_by": "offline", "fallback_reason": reason})
                )
            activity.heartbeat(spent)
            raise ApplicationError(f"The model's draft was not usable: {reason}", type=type(error).__name__) from error
        await asyncio.to_thread(
            self._spend, pattern.location_id, outreach_id, Usage.model_validate(draft, from_attributes=True)
        )
        return _charged(spent, draft)
