"""Read-model writes. Every activity here is an idempotent upsert keyed by workflow or entry id,
so a retried activity (or a replayed workflow) never duplicates a row."""

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from agents.base import LEAVING_SAID_HOLDS
from agents.due_invoice import PAYMENT_CLEARS
from agents.registry import TEAM_AGENTS
from domain.business_hours import on_clock
from models.db import session_scope
from models.messages import (
    ConversationOpening,
    ConversationStatus,
    ConversationStatusChange,
    Handling,
    LeavingSaid,
    OpeningHoursSpec,
    PaymentReported,
    Sender,
    StatusChange,
    TimelineEvent,
)
from models.tables import Conversation, Customer, Invoice, Location, ProposedAction
from models.timeline import add_timeline_entry


class DbActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn
    def record_proposal(self, change: StatusChange) -> None:
        """Upsert the proposed action's row with what changed and add the event to its timeline."""
        record = change.record
        if record.state.status is None:
            raise ApplicationError("A proposal is recorded once its draft is composed.", non_retryable=True)
        parts = (record.pattern, record.state.draft, record.state)
        values = ProposedAction.columns_of(*(part for part in parts if part is not None))
        with session_scope(self._engine) as session:
            row = session.get(ProposedAction, record.action_id)
            if row is None:
                if record.pattern is None or record.state.draft is None:
                    raise ApplicationError(
                        f"The first record of {record.action_id} must carry its pattern and draft.", non_retryable=True
                    )
                draft = record.state.draft
                drafted = {"subject": draft.subject, "body_html": draft.body_html, "voice_script": draft.voice_script}
                session.add(ProposedAction(id=record.action_id, drafted=drafted, **values))
                session.flush()  # the timeline entry references the row
            else:
                row.sqlmodel_update(values)
            add_timeline_entry(session, change.entry)

    @activity.defn
    def create_for_team(self, action_id: str) -> str:
        """Create what an approved team proposal proposes, as the read model has it approved (edits included):
        its agent's own work, made once however often it is retried. Answers what was created."""
        with session_scope(self._engine) as session:
            action = session.get(ProposedAction, action_id)
            if action is None or action.agent_type not in TEAM_AGENTS:
                raise ApplicationError(f"{action_id} is no team agent's proposal.", non_retryable=True)
            return TEAM_AGENTS[action.agent_type].create(session, action)

    @activity.defn
    def opening_hours(self, location_id: str) -> OpeningHoursSpec:
        """The location's business hours as they are now (operators may change them any time)."""
        with Session(self._engine) as session:
            location = session.get(Location, location_id)
            if location is None:
                raise ApplicationError(f"Location {location_id} does not exist", type="NotFound", non_retryable=True)
            return OpeningHoursSpec(
                time_zone=location.time_zone, weekly=location.business_hours, closures=location.closures
            )

    @activity.defn
    def record_event(self, event: TimelineEvent) -> None:
        """Add one message or event to a timeline."""
        with session_scope(self._engine) as session:
            add_timeline_entry(session, event)

    @activity.defn
    def record_payment_reported(self, report: PaymentReported) -> None:
        """The customer says they paid: noted on the invoice the outreach is about — never marked paid on their
        word — so its reminders wait for the payment, and on the timeline for the team. A retry notes it once."""
        with session_scope(self._engine) as session:
            action = session.get(ProposedAction, report.action_id)
            about = action.facts.get("invoice_id") if action is not None else None
            invoice = session.get(Invoice, str(about)) if about is not None else None
            if action is None or invoice is None or invoice.paid_at is not None:
                return
            invoice.payment_reported_at = report.at
            session.add(invoice)
            location = session.get(Location, action.location_id)
            until = on_clock(report.at + PAYMENT_CLEARS, location.time_zone if location else "UTC")
            add_timeline_entry(session, TimelineEvent(
                id=f"payment-reported:{report.conversation_id}:{report.at.isoformat()}", action_id=action.id,
                conversation_id=report.conversation_id, sender=Sender.system, at=report.at,
                body=f"The customer says they paid invoice {invoice.number}. It is marked paid when the payment "
                f"arrives; its reminders wait until {until}.",
            ))  # fmt: skip

    @activity.defn
    def record_leaving_said(self, said: LeavingSaid) -> None:
        """The customer says they are leaving: noted on the customer — so for a while no agent nudges, offers or
        follows them up — and on the timeline for the team, who confirm it with them. A retry notes it once."""
        with session_scope(self._engine) as session:
            customer = session.get(Customer, said.customer_id)
            if customer is None:
                return
            customer.leaving_said_at = max(customer.leaving_said_at or said.at, said.at)
            session.add(customer)
            location = session.get(Location, customer.location_id)
            until = on_clock(said.at + LEAVING_SAID_HOLDS, location.time_zone if location else "UTC")
            add_timeline_entry(session, TimelineEvent(
                id=f"leaving-said:{said.conversation_id}:{said.at.isoformat()}", action_id=said.action_id,
                conversation_id=said.conversation_id, sender=Sender.system, at=said.at,
                body="The customer says they are leaving (not renewing, or going elsewhere): the team confirms it "
                f"with them. Until {until} no agent reminds them to renew, nudges them back, offers them more or "
                "follows them up as a lead.",
            ))  # fmt: skip

    @activity.defn
    def open_conversation(self, opening: ConversationOpening) -> None:
        """Create the conversation row and link it to its proposed action; a customer writing after it
        ended reopens it."""
        with session_scope(self._engine) as session:
            existing = session.get(Conversation, opening.conversation_id)
            if existing is not None and existing.status != ConversationStatus.open:
                ended, existing.status, existing.opened_at = existing.status, ConversationStatus.open, opening.at
                existing.taken_over_by = None  # a new run: the AI answers until someone takes it over again
                add_timeline_entry(
                    session,
                    TimelineEvent(
                        id=f"reopened:{opening.conversation_id}:{opening.at.isoformat()}",
                        action_id=opening.action_id,
                        conversation_id=opening.conversation_id,
                        sender=Sender.system,
                        body=f"Reopened: the customer wrote again after the conversation was {ended.value}.",
                        at=opening.at,
                    ),
                )
            if existing is None:
                session.add(
                    Conversation(
                        id=opening.conversation_id,
                        proposed_action_id=opening.action_id,
                        location_id=opening.location_id,
                        customer_id=opening.customer_id,
                        channel=opening.channel,
                        subject=opening.subject,
                        status=ConversationStatus.open,
                        started_at=opening.at,
                        updated_at=opening.at,
                        opened_at=opening.at,
                    )
                )
            action = session.get(ProposedAction, opening.action_id) if opening.action_id else None
            if action is not None:
                action.conversation_id = opening.conversation_id

    @activity.defn
    def record_handling(self, change: Handling) -> None:
        """Who answers the customer now — a team member, or the AI again — and the note saying so."""
        with session_scope(self._engine) as session:
            conversation = session.get(Conversation, change.conversation_id)
            if conversation is not None:
                conversation.taken_over_by = change.by.operator_id if change.by else None
                conversation.updated_at = change.entry.at
            add_timeline_entry(session, change.entry)

    @activity.defn
    def record_conversation_status(self, change: ConversationStatusChange) -> None:
        """Set a conversation's status and note why on its timeline."""
        with session_scope(self._engine) as session:
            conversation = session.get(Conversation, change.conversation_id)
            if conversation is not None:
                conversation.status = change.status
                conversation.updated_at = change.entry.at
            add_timeline_entry(session, change.entry)
