"""OutreachWorkflow: one detected situation, from draft to conversation.

compose the draft → propose it in the inbox → wait for an operator's decision until the proposal
expires (a snooze moves the wake-up) → deliver → wait for the customer's reply → run the
conversation as a child → finish with the outcome.

Operator decisions arrive as Updates (validated, with a typed answer for the API) and as Signals
of the same name (for engineers acting from the Temporal UI or CLI); both take the same path.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.channels.email import EmailActivities
    from activities.channels.helpdesk import HelpdeskActivities
    from activities.channels.voice import VoiceActivities
    from activities.db import DbActivities
    from activities.detection import DetectionActivities
    from activities.llm import LlmActivities
    from domain import channels, variables
    from domain import search_attributes as sa
    from domain.business_hours import OpeningHours
    from domain.content import html_to_text, line_break_problem, sanitize_html
    from domain.ids import CALL_ANSWERED, CANCEL, CUSTOMER_REPLIED, DELIVERY_STATUS, OUTREACH_WORKFLOW, conversation_id
    from models.messages import (
        DECIDABLE,
        SENDING,
        UNDELIVERABLE,
        UNDELIVERED,
        ActionStatus,
        ApproveRequest,
        CallRequest,
        CancelRequest,
        Channel,
        ConversationInput,
        ConversationStatus,
        CustomerMessage,
        DecisionResult,
        DeliveryReport,
        DeliveryResult,
        Draft,
        DraftEdit,
        EmailMessage,
        OutreachInput,
        OutreachOutcome,
        OutreachState,
        Priority,
        ProposalRecord,
        RejectRequest,
        SendCheck,
        Sender,
        SendVerdict,
        SnoozeRequest,
        StatusChange,
        TicketRequest,
        TimelineEvent,
    )
    from workflows.conversation import ConversationWorkflow, log_customer_message

DB_TIMEOUT = timedelta(seconds=30)
COMPOSE_TIMEOUT = timedelta(minutes=2)
# Composing beats every few seconds: a worker that dies mid-draft is noticed within this, not the whole timeout.
COMPOSE_HEARTBEAT = timedelta(seconds=30)
SEND_TIMEOUT = timedelta(minutes=1)
# A send heartbeats before it calls the provider (whose requests time out sooner): a worker that dies mid-send
# is noticed within this, and the retry asks the provider before sending again.
SEND_HEARTBEAT = timedelta(seconds=30)
# Provider outages are retried for as long as it takes; permanent errors are non-retryable.
SEND_RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=10))

# Business hours, the cooldown and the daily maximum are checked again right before delivery.
SAFEGUARDS_BEFORE_SEND = "safeguards-before-send"
# Delivery starts once the decision is recorded: the approval answers its caller without sharing the worker
# with the delivery's first steps, and the check before send reads the proposal as approved.
DELIVER_AFTER_DECISION = "deliver-after-decision"
# How often an outreach may be held back before it goes back to the operator, and how often it may be snoozed.
HOLD_LIMIT = 5
SNOOZE_LIMIT = 3

Request = TypeVar("Request", ApproveRequest, DraftEdit, RejectRequest, SnoozeRequest)


def _not_pending(status: ActionStatus | None) -> ApplicationError:
    reason = "is still being composed" if status is None else f"is already {status.value}"
    return ApplicationError(
        f"This proposal {reason}; only pending or snoozed proposals can be decided.",
        type="ActionNotPending",
        non_retryable=True,
    )


def _invalid(message: str) -> ApplicationError:
    return ApplicationError(message, type="InvalidDecision", non_retryable=True)


@workflow.defn(name=OUTREACH_WORKFLOW)
class OutreachWorkflow:
    @workflow.init
    def __init__(self, input: OutreachInput) -> None:
        self._input = input
        # Everything the proposal is now, in one model; the read model is written from it whole.
        now = workflow.now()
        self._state = OutreachState(created_at=now, expires_at=now + input.policy.expiry)
        self._inbox: list[CustomerMessage] = []
        self._seen: set[str] = set()
        self._call_answered = False  # the customer picked up the call: the conversation starts on the line
        # Bumped on every status change so the decision timer re-arms.
        self._version = 0
        # Read-model writes happen in the order of the status changes that caused them.
        self._write_lock = asyncio.Lock()
        # The draft as the read model has it (None: no row yet), so a write sends the draft only when it changed.
        self._recorded_draft: Draft | None = None
        # How often the check before send held the outreach back (quiet hours, a matter the team has open, the contact
        # budget), and how often it was snoozed.
        self._holds = 0
        self._snoozes = 0

    @workflow.run
    async def run(self, input: OutreachInput) -> OutreachOutcome:
        pattern = input.pattern
        self._state.draft = await workflow.execute_activity_method(
            LlmActivities.compose_draft,
            input,
            start_to_close_timeout=COMPOSE_TIMEOUT,
            heartbeat_timeout=COMPOSE_HEARTBEAT,
            summary=f"Compose the {input.policy.channel.value} draft for {pattern.customer_name}",
        )
        policy = input.policy
        if policy.auto_execute and pattern.confidence >= policy.confidence_threshold:
            await self._set_status(
                ActionStatus.auto_executed,
                f"Auto-executed: confidence {pattern.confidence} is at or above the agent's threshold "
                f"of {policy.confidence_threshold}. {pattern.reason}",
            )
        else:
            await self._set_status(ActionStatus.pending, f"Proposed: {pattern.reason}{self._fallback_note()}")
            await self._wait_for_decision()
        if self._state.cancel_reason is not None and self._state.status in UNDELIVERED:
            await self._set_status(ActionStatus.cancelled, f"Cancelled: {self._state.cancel_reason}")
        if self._state.status not in (ActionStatus.approved, ActionStatus.auto_executed):
            return await self._finish()
        if self._require_draft().channel is Channel.team:
            await self._create_for_team()
            return await self._finish()

        if not await self._deliver():
            return await self._finish()

        try:
            # A bounce reported meanwhile fails the proposal: no reply will come.
            await workflow.wait_condition(
                lambda: bool(self._inbox) or self._call_answered or self._state.status is not ActionStatus.sent,
                timeout=input.policy.reply_window,
                timeout_summary="Reply window closes",
            )
        except TimeoutError:
            return await self._finish()
        if not self._inbox and not self._call_answered:
            return await self._finish()
        return await self._finish(await self._run_conversation())

    # --- operator decisions ------------------------------------------------------------------

    @workflow.update
    async def approve(self, request: ApproveRequest) -> DecisionResult:
        """Approve the proposal for delivery, optionally with the operator's edits."""
        return await self._approve(request)

    async def _approve(self, request: ApproveRequest) -> DecisionResult:
        before = self._require_draft().channel
        edited = self._edits(request)
        self._apply_edit(request, request.channel)
        # How the channel delivers: the email's sender, the ticket's department, priority and internal notes.
        delivery = {"send_from": request.send_from, "ticket_department_id": request.department_id,
                    "ticket_priority": request.priority, "internal_notes": request.internal_notes}  # fmt: skip
        self._state.draft = self._require_draft().model_copy(
            update={name: value for name, value in delivery.items() if value is not None}
        )
        after = self._require_draft().channel
        if after is not before:
            workflow.upsert_search_attributes([sa.CHANNEL.value_set(after.value)])
        self._state.approved_at = workflow.now()
        return await self._decide(request, ActionStatus.approved, self._approval_note(request, before, edited))

    @approve.validator
    def validate_approve(self, request: ApproveRequest) -> None:
        self._check_decidable()
        proposed = self._require_draft().channel
        if Channel.team in (proposed, request.channel):
            if request.channel not in (None, proposed):
                raise _invalid(channels.team_refusal(proposed))
            self._check_edit(request)
            return
        pattern = self._input.pattern
        reach = channels.Reach(
            email=pattern.customer_email,
            mobile=pattern.customer_mobile,
            mobile_valid=pattern.customer_mobile_valid,
            voice_enabled=self._input.policy.voice_enabled,
        )
        channel = request.channel or self._require_draft().channel
        refused = channels.refusal(channel, reach)
        if refused:
            raise _invalid(refused)
        # Which account may send is the API's to check (it reads them); that one is named is checked here too.
        if channel is Channel.email and not (request.send_from or self._require_draft().send_from):
            raise _invalid(channels.NO_SEND_FROM)
        self._check_edit(request)

    @workflow.update
    async def edit_draft(self, request: DraftEdit) -> DecisionResult:
        """Change the draft's subject, body or call script while the proposal waits for a decision."""
        return await self._edit(request)

    async def _edit(self, request: DraftEdit) -> DecisionResult:
        self._apply_edit(request)
        assert self._state.status is not None
        await self._set_status(self._state.status, "Draft edited.", Sender.operator)
        return DecisionResult(action_id=workflow.info().workflow_id, status=self._state.status)

    @edit_draft.validator
    def validate_edit_draft(self, request: DraftEdit) -> None:
        self._check_decidable()
        self._check_edit(request)

    def _check_edit(self, edit: DraftEdit) -> None:
        if edit.subject is not None and not edit.subject.strip():
            raise _invalid("The subject cannot be empty.")
        if edit.subject is not None and (problem := line_break_problem("subject", edit.subject)):
            raise _invalid(problem)
        if edit.body_html is not None and not html_to_text(sanitize_html(edit.body_html)):
            raise _invalid("The email body cannot be empty (scripts and styles are removed before sending).")
        if edit.voice_script is not None and not edit.voice_script.strip():
            raise _invalid("The call script cannot be empty.")
        pattern = self._input.pattern
        available = variables.values(pattern.customer_name, "", pattern.facts)
        for text in (edit.subject, edit.body_html, edit.voice_script):
            problem = variables.problems(text or "", available)
            if problem:
                raise _invalid(problem)

    def _apply_edit(self, edit: DraftEdit, channel: Channel | None = None) -> None:
        draft = self._require_draft()
        body_html = sanitize_html(edit.body_html or draft.body_html)
        self._state.draft = draft.model_copy(
            update={
                "channel": channel or draft.channel,
                "subject": edit.subject or draft.subject,
                "body_html": body_html,
                "body_text": html_to_text(body_html),
                "voice_script": edit.voice_script or draft.voice_script,
            }
        )

    @workflow.update
    async def reject(self, request: RejectRequest) -> DecisionResult:
        """Reject the proposal; nothing is sent."""
        return await self._reject(request)

    async def _reject(self, request: RejectRequest) -> DecisionResult:
        self._state.reject_reason = request.reason.strip() or None
        self._state.rejected_at = workflow.now()
        note = "Rejected" + (f": {self._state.reject_reason}" if self._state.reject_reason else ".")
        return await self._decide(request, ActionStatus.rejected, note)

    @reject.validator
    def validate_reject(self, request: RejectRequest) -> None:
        self._check_decidable()

    @workflow.update
    async def snooze(self, request: SnoozeRequest) -> DecisionResult:
        """Hide the proposal until `until`; it then returns to the inbox."""
        return await self._snooze(request)

    async def _snooze(self, request: SnoozeRequest) -> DecisionResult:
        self._snoozes += 1
        self._state.snoozed_until = request.until
        note = f"Snoozed until {request.until.isoformat(timespec='minutes')}."
        return await self._decide(request, ActionStatus.snoozed, note)

    @snooze.validator
    def validate_snooze(self, request: SnoozeRequest) -> None:
        self._check_decidable()
        if request.until.tzinfo is None:
            raise _invalid("The snooze time needs a time zone, e.g. 2026-11-23T09:00:00+01:00.")
        if request.until <= workflow.now():
            raise _invalid("The snooze time must be in the future.")
        if self._snoozes >= SNOOZE_LIMIT:
            raise _invalid(f"This proposal was snoozed {self._snoozes} times already: approve, edit or reject it.")
        cap = self._state.created_at + self._input.policy.snooze_cap
        if request.until >= cap:
            raise _invalid(
                f"A proposal can be snoozed until {cap.isoformat(timespec='minutes')} at the latest "
                f"({self._input.policy.snooze_cap.days} days after it was proposed)."
            )

    @workflow.signal(name="approve")
    async def approve_signal(self, request: ApproveRequest) -> None:
        await self._from_signal("approve", self.validate_approve, self._approve, request)

    @workflow.signal(name="edit_draft")
    async def edit_draft_signal(self, request: DraftEdit) -> None:
        await self._from_signal("edit_draft", self.validate_edit_draft, self._edit, request)

    @workflow.signal(name="reject")
    async def reject_signal(self, request: RejectRequest) -> None:
        await self._from_signal("reject", self.validate_reject, self._reject, request)

    @workflow.signal(name="snooze")
    async def snooze_signal(self, request: SnoozeRequest) -> None:
        await self._from_signal("snooze", self.validate_snooze, self._snooze, request)

    # --- inbound events ----------------------------------------------------------------------

    @workflow.signal(name=CANCEL)
    def cancel(self, request: CancelRequest) -> None:
        """The situation went away before delivery (opt-out, paid, renewed): nothing will be sent."""
        if self._state.status is None or self._state.status in UNDELIVERED:
            self._state.cancel_reason = request.reason
            self._version += 1

    @workflow.signal(name=DELIVERY_STATUS)
    async def delivery_status(self, report: DeliveryReport) -> None:
        """The provider reports, after the send, that the customer never got it (a bounce, a drop, a failed call)."""
        if report.status not in UNDELIVERABLE:
            return
        # A report can overtake the send's own result; it applies once the delivery is recorded as sent.
        await workflow.wait_condition(lambda: self._state.status not in SENDING)
        if self._state.status is ActionStatus.sent:
            await self._set_status(ActionStatus.failed, f"Delivery failed: {report.detail}")

    @workflow.signal(name=CALL_ANSWERED)
    def call_answered(self) -> None:
        """The customer picked up the call and talks with the AI on the line: its conversation starts now."""
        self._call_answered = True

    @workflow.signal(name=CUSTOMER_REPLIED)
    def customer_replied(self, message: CustomerMessage) -> None:
        """A customer message for this outreach (email reply, ticket comment, ...); the same message routed
        twice (a webhook retried after a crash) is taken once."""
        if message.id not in self._seen:
            self._seen.add(message.id)
            self._inbox.append(message)

    @workflow.query
    def state(self) -> ProposalRecord | None:
        """The proposal as the workflow sees it (the API reads the database instead)."""
        if self._state.draft is None:
            return None
        return ProposalRecord(action_id=workflow.info().workflow_id, pattern=self._input.pattern, state=self._state)

    # --- steps -------------------------------------------------------------------------------

    async def _wait_for_decision(self) -> None:
        policy = self._input.policy
        while self._state.status in DECIDABLE and self._state.cancel_reason is None:
            version = self._version
            snoozed_until = self._state.snoozed_until if self._state.status is ActionStatus.snoozed else None
            wake_at = snoozed_until or self._state.expires_at
            try:
                await workflow.wait_condition(
                    lambda: self._version != version,  # noqa: B023 (awaited in this iteration)
                    timeout=max(wake_at - workflow.now(), timedelta(0)),
                    timeout_summary="Snooze ends" if snoozed_until else "Proposal expires",
                )
            except TimeoutError:
                if snoozed_until is None:
                    await self._set_status(ActionStatus.expired, "Expired: no decision was made in time.")
                    continue
                # Coming back from a snooze gives the operator a fresh window, within the hard cap.
                self._state.expires_at = min(
                    max(self._state.expires_at, snoozed_until + policy.expiry),
                    self._state.created_at + policy.snooze_cap,
                )
                self._state.snoozed_until = None
                await self._set_status(ActionStatus.pending, "Snooze ended; back in the inbox.")

    async def _deliver(self) -> bool:
        """Within business hours and after a last check of every safeguard, send the approved draft.
        A permanent failure marks the proposal failed; a safeguard that no longer holds cancels it."""
        draft, pattern = self._require_draft(), self._input.pattern
        if workflow.patched(SAFEGUARDS_BEFORE_SEND):
            if workflow.patched(DELIVER_AFTER_DECISION):
                await workflow.wait_condition(workflow.all_handlers_finished)
            if not await self._wait_for_business_hours():
                return False
            verdict = await self._check_before_send()
            if verdict is None:
                return False
            if verdict.cancel_reason is not None:
                self._state.cancel_reason = verdict.cancel_reason
                await self._set_status(ActionStatus.cancelled, f"Cancelled before delivery: {verdict.cancel_reason}")
                return False
        delivery_id, action_id = str(workflow.uuid4()), workflow.info().workflow_id
        send: Any
        request: CallRequest | EmailMessage | TicketRequest
        if draft.channel is Channel.helpdesk:
            send = HelpdeskActivities.open_ticket
            request = TicketRequest(
                delivery_id=delivery_id,
                action_id=action_id,
                conversation_id=conversation_id(action_id),
                location_id=pattern.location_id,
                customer_id=pattern.customer_id,
                subject=draft.subject,
                body_html=draft.body_html,
                department_id=draft.ticket_department_id,
                priority=draft.ticket_priority or Priority.normal,
                internal_notes=draft.internal_notes,
                opened_by=self._state.decided_by,
            )
        elif draft.channel is Channel.voice:
            send = VoiceActivities.place_call
            request = CallRequest(
                delivery_id=delivery_id,
                action_id=action_id,
                location_id=pattern.location_id,
                customer_id=pattern.customer_id,
                voice_script=draft.voice_script,
            )
        else:
            send = EmailActivities.send_email
            request = EmailMessage(
                delivery_id=delivery_id,
                action_id=action_id,
                location_id=pattern.location_id,
                customer_id=pattern.customer_id,
                channel=draft.channel,
                subject=draft.subject,
                body_html=draft.body_html,
                send_from=draft.send_from if draft.channel is Channel.email else None,
                author=Sender.operator if draft.channel is Channel.email else Sender.ai,
            )
        try:
            delivery: DeliveryResult = await workflow.execute_activity_method(
                send,
                request,
                start_to_close_timeout=SEND_TIMEOUT,
                heartbeat_timeout=SEND_HEARTBEAT,
                retry_policy=SEND_RETRY,
                summary=f"Send the {draft.channel.value} to {pattern.customer_name}",
            )
        except ActivityError as error:
            cause = error.cause.message if isinstance(error.cause, ApplicationError) else str(error)
            await self._set_status(ActionStatus.failed, f"Delivery failed: {cause}")
            return False
        self._state.message_id = delivery.message_id
        self._state.sent_at = delivery.sent_at
        await self._set_status(ActionStatus.sent, f"Delivered through the {delivery.provider} provider.")
        return True

    async def _create_for_team(self) -> None:
        """What a team agent proposed, created as approved: nothing is sent, no customer is contacted."""
        await workflow.wait_condition(workflow.all_handlers_finished)  # the approval's draft is recorded first
        created = await workflow.execute_activity_method(
            DbActivities.create_for_team,
            workflow.info().workflow_id,
            start_to_close_timeout=DB_TIMEOUT,
            summary="Create it for the team",
        )
        self._state.sent_at = workflow.now()
        await self._set_status(ActionStatus.sent, f"Created for the team. {created}")

    async def _check_before_send(self) -> SendVerdict | None:
        """The last check of every safeguard, made again each time it holds the outreach back (quiet hours, a
        matter the team has open, the customer's contact budget) once the hold ends. Held `HOLD_LIMIT` times, the
        outreach goes back to the operator, whose new approval sends it whatever the budget says. None: rejected
        or expired there."""
        waived = False
        while True:
            verdict: SendVerdict = await workflow.execute_activity_method(
                DetectionActivities.check_before_send,
                SendCheck(
                    action_id=workflow.info().workflow_id, policy=self._input.policy, at=workflow.now(),
                    budget_waived=waived,
                ),
                start_to_close_timeout=DB_TIMEOUT,
                summary="Re-check opt-out, the situation, cooldown, the contact budget and the daily maximum",
            )  # fmt: skip
            if verdict.held_reason is None or verdict.held_until is None:
                return verdict
            if self._holds >= HOLD_LIMIT:
                self._holds, self._state.held_reason = 0, None
                self._state.expires_at = workflow.now() + self._input.policy.expiry
                await self._set_status(
                    ActionStatus.pending,
                    f"Held back {HOLD_LIMIT} times, last: {verdict.held_reason} Back in the inbox: approving it "
                    "again sends it whatever the contact budget says.",
                )
                await self._wait_for_decision()
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self._state.cancel_reason is not None:
                    return SendVerdict(cancel_reason=self._state.cancel_reason)
                if self._state.status is not ActionStatus.approved:
                    return None
                waived = True
                continue
            self._holds += 1
            self._state.held_reason = verdict.held_reason
            await self._set_status(ActionStatus.deferred, f"Deferred: {verdict.held_reason}")
            try:
                await workflow.wait_condition(
                    lambda: self._state.cancel_reason is not None,
                    timeout=max(verdict.held_until - workflow.now(), timedelta(0)),
                    timeout_summary="The hold ends",
                )
            except TimeoutError:
                self._state.held_reason = None
                continue
            return SendVerdict(cancel_reason=self._state.cancel_reason)

    async def _wait_for_business_hours(self) -> bool:
        """Voice always, other channels when the agent says so, go out only while the location is
        open. Deferred work waits on a durable timer, so it is never dropped; False if cancelled."""
        draft, pattern = self._require_draft(), self._input.pattern
        if draft.channel is not Channel.voice and not self._input.policy.enforce_business_hours:
            return True
        spec = await workflow.execute_activity_method(
            DbActivities.opening_hours,
            pattern.location_id,
            start_to_close_timeout=DB_TIMEOUT,
            summary="Look up the location's business hours",
        )
        if not spec.weekly:
            return True  # no hours configured: the location sets no limit
        hours = OpeningHours(spec.time_zone, spec.weekly, frozenset(spec.closures))
        opening = hours.next_opening(workflow.now())
        if opening is None or opening <= workflow.now():
            return True
        local = hours.local(opening)
        opens = f"{local:%A %Y-%m-%d %H:%M} ({spec.time_zone})"
        self._state.held_reason = f"The location is closed until {opens}."
        await self._set_status(ActionStatus.deferred, f"Deferred until the location opens: {opens}.")
        try:
            await workflow.wait_condition(
                lambda: self._state.cancel_reason is not None,
                timeout=opening - workflow.now(),
                timeout_summary="Business hours begin",
            )
        except TimeoutError:
            self._state.held_reason = None
            return True
        await self._set_status(ActionStatus.cancelled, f"Cancelled: {self._state.cancel_reason}")
        return False

    async def _run_conversation(self) -> ConversationStatus:
        draft, pattern = self._require_draft(), self._input.pattern
        self._state.conversation_id = conversation_id(workflow.info().workflow_id)
        inbox, self._inbox = self._inbox, []
        child = await workflow.start_child_workflow(
            ConversationWorkflow.run,
            ConversationInput(
                conversation_id=self._state.conversation_id,
                action_id=workflow.info().workflow_id,
                location_id=pattern.location_id,
                customer_id=pattern.customer_id,
                channel=draft.channel,
                subject=draft.subject,
                idle_timeout=self._input.policy.conversation_idle,
                last_message_id=self._state.message_id,
                inbox=inbox,
            ),
            id=self._state.conversation_id,
            # The conversation outlives a terminated or reset outreach.
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            static_summary=f"Conversation with {pattern.customer_name}",
        )
        # Replies keep arriving here (reply tokens name the outreach); pass them on.
        while not child.done():
            await workflow.wait_condition(lambda: bool(self._inbox) or child.done())
            while self._inbox and not child.done():
                try:
                    await child.signal(ConversationWorkflow.customer_replied, self._inbox[0])
                except FailureError:
                    break  # the conversation ended meanwhile; the message is kept below
                self._inbox.pop(0)
        status = await child
        # Replies that crossed the conversation's end still reach its timeline, for the team.
        if self._inbox:
            await self._note(f"A reply arrived after the conversation was {status.value}; over to the team.")
        while self._inbox:
            await log_customer_message(
                self._inbox.pop(0), workflow.info().workflow_id, self._state.conversation_id, status
            )
        return status

    # --- state -------------------------------------------------------------------------------

    def _check_decidable(self) -> None:
        if self._state.draft is None or self._state.status not in DECIDABLE:
            raise _not_pending(self._state.status)

    async def _decide(self, request: Request, status: ActionStatus, note: str) -> DecisionResult:
        self._state.decided_by = request.operator_id
        self._state.decided_at = workflow.now()
        await self._set_status(status, note, Sender.operator)
        return DecisionResult(action_id=workflow.info().workflow_id, status=status)

    async def _from_signal(
        self,
        name: str,
        validate: Callable[[Request], None],
        apply: Callable[[Request], Awaitable[DecisionResult]],
        request: Request,
    ) -> None:
        """Signals cannot answer, so an invalid one is noted on the timeline and ignored."""
        try:
            validate(request)
        except ApplicationError as error:
            await self._note(f"Ignored a {name} signal: {error.message}")
            return
        await apply(request)

    def _fallback_note(self) -> str:
        reason = self._require_draft().fallback_reason
        return f" Drafted offline because the model's draft was not usable ({reason})." if reason else ""

    def _edits(self, edit: DraftEdit) -> list[str]:
        """What an edit changes of the draft: a form posts the draft back as it was when nothing was changed."""
        draft = self._require_draft()
        changed = {
            "subject": edit.subject is not None and edit.subject.strip() != draft.subject.strip(),
            "message": edit.body_html is not None and sanitize_html(edit.body_html) != sanitize_html(draft.body_html),
            "call script": edit.voice_script is not None and edit.voice_script.strip() != draft.voice_script.strip(),
        }
        return [name for name, change in changed.items() if change]

    def _approval_note(self, request: ApproveRequest, before: Channel, edited: list[str]) -> str:
        after = self._require_draft().channel
        note = "Approved" + (f" as {channels.LABELS[after]} instead of {channels.LABELS[before]}" if after != before
                             else "")  # fmt: skip
        note += f", the {' and '.join(edited)} edited." if edited else "."
        return note + (f" Review notes: {request.review_notes}" if request.review_notes else "")

    async def _set_status(self, status: ActionStatus, note: str, sender: Sender = Sender.system) -> None:
        self._state.status = status
        self._version += 1
        workflow.upsert_search_attributes([sa.OUTREACH_STATUS.value_set(status.value)])
        change = StatusChange(record=self._record(), entry=self._event(note, sender))
        async with self._write_lock:
            await workflow.execute_activity_method(
                DbActivities.record_proposal,
                change,
                start_to_close_timeout=DB_TIMEOUT,
                summary=f"Record status {status.value}",
            )

    async def _note(self, note: str) -> None:
        async with self._write_lock:
            await workflow.execute_activity_method(
                DbActivities.record_event,
                self._event(note, Sender.system),
                start_to_close_timeout=DB_TIMEOUT,
                summary="Note on the timeline",
            )

    def _event(self, note: str, sender: Sender) -> TimelineEvent:
        return TimelineEvent(
            id=str(workflow.uuid4()),
            action_id=workflow.info().workflow_id,
            conversation_id=self._state.conversation_id,
            sender=sender,
            body=note,
            at=workflow.now(),
        )

    def _require_draft(self) -> Draft:
        assert self._state.draft is not None, "the draft is composed before anything else happens"
        return self._state.draft

    def _record(self) -> ProposalRecord:
        """What the read model lacks: everything for the first write, then the state, with the draft if edited.
        Writes run in the order they are made (the write lock), so what this one sends follows the previous."""
        first = self._recorded_draft is None
        draft = self._state.draft if self._state.draft != self._recorded_draft else None
        self._recorded_draft = self._state.draft
        # A copy: the state may change again before this activation's commands are sent.
        return ProposalRecord(
            action_id=workflow.info().workflow_id,
            pattern=self._input.pattern if first else None,
            state=self._state.model_copy(update={"draft": draft}),
        )

    async def _finish(self, conversation: ConversationStatus | None = None) -> OutreachOutcome:
        # A decision that ended the wait is still writing the read model; let it answer its caller.
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert self._state.status is not None
        return OutreachOutcome(
            action_id=workflow.info().workflow_id,
            status=self._state.status,
            conversation_status=conversation,
        )
