"""Workflow inputs, outputs and messages: plain pydantic models that travel through Temporal.

They never import the SQLModel tables, so workflows can pass them through the sandbox freely.
"""

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class AgentType(StrEnum):
    due_invoice = "due_invoice"
    contract_renewal = "contract_renewal"
    lead_follow_up = "lead_follow_up"
    first_booking = "first_booking"
    tour_reminder = "tour_reminder"
    tour_no_show = "tour_no_show"
    booking_no_show = "booking_no_show"
    re_engagement = "re_engagement"
    at_risk = "at_risk"
    upsell = "upsell"
    faq_gap = "faq_gap"
    cancellation_risk = "cancellation_risk"
    lead_scoring = "lead_scoring"
    category_spike = "category_spike"


class Channel(StrEnum):
    ai_email = "ai_email"
    voice = "voice"
    email = "email"
    helpdesk = "helpdesk"
    sms = "sms"
    chat = "chat"
    team = "team"  # a team agent's proposal: created for the team on approval, never sent to a customer


class ActionStatus(StrEnum):
    pending = "pending"
    snoozed = "snoozed"
    approved = "approved"
    deferred = "deferred"
    auto_executed = "auto_executed"
    sent = "sent"
    rejected = "rejected"
    expired = "expired"
    failed = "failed"
    cancelled = "cancelled"


DECIDABLE = frozenset({ActionStatus.pending, ActionStatus.snoozed})
# Statuses in which nothing has been delivered yet and the outreach can still be cancelled.
UNDELIVERED = DECIDABLE | {ActionStatus.approved, ActionStatus.deferred, ActionStatus.auto_executed}
# Statuses of an outreach decided for delivery and not yet delivered.
SENDING = frozenset({ActionStatus.approved, ActionStatus.auto_executed, ActionStatus.deferred})


class AgentCategory(StrEnum):
    """Whom an agent's proposals are for: a customer (a message, once approved) or the team (work to create)."""

    customer = "customer"
    team = "team"


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        """Higher is more urgent."""
        return list(Priority).index(self)


class ConversionKind(StrEnum):
    """What an outreach was for, done: the space's systems report it (or a conversation's tool did it)."""

    invoice_paid = "invoice_paid"
    booking_made = "booking_made"
    contract_renewed = "contract_renewed"
    lead_converted = "lead_converted"
    tour_attended = "tour_attended"
    member_returned = "member_returned"  # a check-in after an outreach about not being seen


class TourStatus(StrEnum):
    """A tour of the space, as the space's systems report it."""

    scheduled = "scheduled"
    attended = "attended"
    no_show = "no_show"
    cancelled = "cancelled"


class ConversationStatus(StrEnum):
    open = "open"
    escalated = "escalated"
    resolved = "resolved"
    closed = "closed"


def nothing_to_take_over(status: ConversationStatus) -> str:
    """Why the team cannot take over (or hand back, or answer in) a conversation that is no longer open."""
    where = ("Answer the customer on its ticket in the help desk." if status is ConversationStatus.escalated
             else "It reopens when the customer writes again.")  # fmt: skip
    return (
        f"This conversation is {status.value}: the AI no longer answers in it, so there is nothing to take over "
        f"or hand back. {where}"
    )


class Sender(StrEnum):
    ai = "ai"
    operator = "operator"
    customer = "customer"
    system = "system"


class TicketStatus(StrEnum):
    open = "open"
    pending = "pending"  # waiting for the customer
    solved = "solved"
    closed = "closed"


class EmailPreset(StrEnum):
    google_workspace = "google_workspace"
    office365 = "office365"
    generic = "generic"


class SmtpSecurity(StrEnum):
    starttls = "starttls"
    ssl = "ssl"
    none = "none"


class EmailAccountStatus(StrEnum):
    connected = "connected"  # its last connection test passed
    disconnected = "disconnected"  # never tested, or disconnected by an operator
    error = "error"  # its last connection test failed (see last_error)


# `send_from` of an email from the location's default sender instead of a connected account.
LOCATION_DEFAULT = "location_default"


class DeliveryStatus(StrEnum):
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    bounced = "bounced"
    dropped = "dropped"
    failed = "failed"
    unknown = "unknown"


class InboundKind(StrEnum):
    """What a message that came home is."""

    reply = "reply"  # a person wrote: the conversation answers
    auto_reply = "auto_reply"  # an out-of-office or other automatic mail: on the timeline, never answered
    bounce = "bounce"  # a mail system could not deliver ours: that delivery failed
    team_reply = "team_reply"  # the team answered from their own mail client (found in the Sent folder)


class InboundStatus(StrEnum):
    received = "received"  # kept, not yet on a timeline (routing it is under way, or is retried)
    routed = "routed"  # on its conversation's timeline
    unmatched = "unmatched"  # belongs to no conversation we know: kept for an operator to attach
    failed = "failed"  # could not be read, kept whole or routed (the problem says why): kept raw for the team


class MailboxSyncInput(BaseModel):
    email_account_id: str


class MailboxSyncResult(BaseModel):
    read: int = 0  # messages fetched in full
    routed: int = 0  # on a conversation's timeline
    unmatched: int = 0  # kept for an operator
    failed: int = 0  # could not be read, kept or routed (or too large to download): kept with the reason
    note: str | None = None


class InboundRetentionInput(BaseModel):
    days: int  # unmatched and failed mail older than this is deleted


class InboundRetentionResult(BaseModel):
    deleted: int = 0


# --- detection -------------------------------------------------------------------------------


class AgentPolicy(BaseModel):
    """The agent config as one detection run applies it; frozen into each outreach it starts."""

    agent_type: AgentType
    threshold_days: int
    channel: Channel
    expiry: timedelta
    snooze_cap: timedelta
    reply_window: timedelta
    conversation_idle: timedelta
    cooldown: timedelta = timedelta(days=14)
    min_gap: timedelta = timedelta(hours=48)
    # The customer's contact budget, across agents: at most this many outreaches in this window.
    contact_budget: int = 3
    contact_window: timedelta = timedelta(days=7)
    daily_max: int = 50
    auto_execute: bool = False
    confidence_threshold: int = 90
    enforce_business_hours: bool = False
    voice_enabled: bool = False
    custom_instructions: str = ""


class SkipCounts(BaseModel):
    """Candidates a safeguard held back, by safeguard."""

    opted_out: int = 0
    cooldown: int = 0
    open_matter: int = 0
    contact_budget: int = 0
    daily_cap: int = 0
    dedup: int = 0

    def __add__(self, other: "SkipCounts") -> "SkipCounts":
        return SkipCounts(**{name: getattr(self, name) + getattr(other, name) for name in SkipCounts.model_fields})


class Pattern(BaseModel):
    """One detected situation; `dedup_key` is stable for the situation's whole life."""

    location_id: str
    agent_type: AgentType
    dedup_key: str
    customer_id: str | None  # None: a team agent's pattern, about no one customer
    customer_name: str
    reason: str
    facts: dict[str, str | int]
    confidence: int = Field(default=0, ge=0, le=100)
    confidence_reasons: list[str] = Field(default_factory=list)
    priority: Priority = Priority.normal
    customer_email: str | None = None
    customer_mobile: str | None = None
    # Parsed when the pattern is detected: workflows must not parse phone numbers themselves.
    customer_mobile_valid: bool = False


class DetectionInput(BaseModel):
    location_id: str
    as_of: datetime | None = None
    agents_done: list[AgentType] = Field(default_factory=list)
    cursor: str | None = None
    started: int = 0
    existing: int = 0
    started_current_agent: int = 0
    skipped: SkipCounts = Field(default_factory=SkipCounts)


class DetectionResult(BaseModel):
    location_id: str
    started: int
    existing: int
    skipped: SkipCounts = Field(default_factory=SkipCounts)


class FindPatternsRequest(BaseModel):
    location_id: str
    policy: AgentPolicy
    as_of: datetime
    after: str | None
    limit: int
    # Outreaches this run already started for the agent: they count against its daily maximum.
    started_this_run: int = 0


class PatternPage(BaseModel):
    patterns: list[Pattern]
    next_cursor: str | None
    skipped: SkipCounts = Field(default_factory=SkipCounts)


class AgentPreview(BaseModel):
    """What an agent would propose now, with no side effects."""

    agent_type: AgentType
    location_id: str
    would_propose: int
    candidates: list[Pattern]
    skipped: SkipCounts


class StartOutreaches(BaseModel):
    policy: AgentPolicy
    patterns: list[Pattern]


class StartedOutreaches(BaseModel):
    started: int
    existing: int


# --- outreach --------------------------------------------------------------------------------


class OutreachInput(BaseModel):
    pattern: Pattern
    policy: AgentPolicy


class Draft(BaseModel):
    channel: Channel
    subject: str
    body_html: str
    body_text: str
    voice_script: str = ""
    # The `email` channel's sender: a connected email account's id, or LOCATION_DEFAULT.
    send_from: str | None = None
    # The `helpdesk` channel's ticket: its department, priority, and notes the customer never sees.
    ticket_department_id: str | None = None
    ticket_priority: Priority | None = None
    internal_notes: str | None = None
    # Who wrote it: a model name, or "offline"; a fallback says why the model's draft was not used.
    composed_by: str = "offline"
    fallback_reason: str | None = None
    risk_notes: list[str] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class DraftEdit(BaseModel):
    """An operator's edit of the draft; absent fields keep the draft's value. `{{variables}}` from
    the allow-list are filled in when the message is sent."""

    operator_id: str | None = None
    subject: str | None = None
    body_html: str | None = None
    voice_script: str | None = None


class ApproveRequest(DraftEdit):
    """Approve, optionally on another channel and with edits made in review."""

    channel: Channel | None = None
    send_from: str | None = None
    department_id: str | None = None
    priority: Priority | None = None
    internal_notes: str | None = None
    review_notes: str | None = None


class RejectRequest(BaseModel):
    operator_id: str | None = None
    reason: str = ""


class SnoozeRequest(BaseModel):
    operator_id: str | None = None
    until: datetime


class CancelRequest(BaseModel):
    """The situation went away (opt-out, paid, renewed) before anything was delivered."""

    reason: str


class OpeningHoursSpec(BaseModel):
    time_zone: str
    weekly: dict[str, list[list[str]]]
    closures: list[str]


class SendCheck(BaseModel):
    """The last check before a send, of the recorded proposal `action_id` (its situation is read from there)."""

    action_id: str
    policy: AgentPolicy
    at: datetime
    # The operator approved again after the outreach was deferred as often as it may be: the contact budget yields.
    budget_waived: bool = False


# How soon a held outreach looks again when nothing says when its hold ends (a more urgent outreach about to go,
# a matter the team is working on).
HOLD_RECHECK = timedelta(hours=4)


class SendVerdict(BaseModel):
    """Whether a delivery may go out now: `cancel_reason` says why it never will, `held_reason` why not before
    `held_until` (the customer's contact budget is spent, or kept for a more urgent outreach)."""

    cancel_reason: str | None = None
    held_reason: str | None = None
    held_until: datetime | None = None


class DecisionResult(BaseModel):
    action_id: str
    status: ActionStatus


class OutreachState(BaseModel):
    """An outreach as its workflow keeps it, in one model: the status (None while the draft is being
    composed), the draft as edited so far, and when and by whom each decision was made."""

    status: ActionStatus | None = None
    draft: Draft | None = None
    created_at: datetime
    expires_at: datetime
    snoozed_until: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    approved_at: datetime | None = None
    rejected_at: datetime | None = None
    reject_reason: str | None = None
    cancel_reason: str | None = None
    # Why an approved outreach waits (deferred): the location's hours, the customer's contact budget.
    held_reason: str | None = None
    sent_at: datetime | None = None
    message_id: str | None = None
    conversation_id: str | None = None


class ProposalRecord(BaseModel):
    """What the read model keeps about a proposal: the pattern and the state. Its columns take these models' fields
    by name (`ProposedAction.columns_of`).

    A status change sends what the row lacks, not the whole proposal: the pattern only with the first write, which
    creates the row, and the draft only when it is new or edited (`state.draft` None: as recorded before). The
    workflow's history then holds each text once rather than at every status change."""

    action_id: str
    pattern: Pattern | None = None
    state: OutreachState


class StatusChange(BaseModel):
    record: ProposalRecord
    entry: "TimelineEvent"


class TimelineEvent(BaseModel):
    id: str
    action_id: str | None  # None: the members' chat, which no outreach started
    conversation_id: str | None = None
    sender: Sender
    channel: Channel | None = None
    body: str
    at: datetime
    inbound_id: str | None = None  # the inbound message it came in
    tool: str | None = None  # the tool an AI used
    ticket_id: str | None = None  # the help-desk ticket an escalation opened, or a message was passed to

    @classmethod
    def from_customer(
        cls, message: "CustomerMessage", action_id: str | None, conversation_id: str | None
    ) -> "TimelineEvent":
        """The timeline entry of a customer's message; its id makes logging it twice harmless."""
        return cls(
            id=f"inbound:{message.id}",
            action_id=action_id,
            conversation_id=conversation_id,
            sender=Sender.customer,
            channel=message.channel,
            body=message.body,
            at=message.received_at,
            inbound_id=message.id,
        )


class EmailMessage(BaseModel):
    """One email to send; `delivery_id` is our message id and the idempotency key."""

    delivery_id: str
    action_id: str | None  # None: the members' chat, which no outreach started
    conversation_id: str | None = None
    location_id: str
    customer_id: str
    channel: Channel
    subject: str
    body_html: str
    in_reply_to: str | None = None
    references: list[str] = Field(default_factory=list)  # the thread it continues, oldest first
    author: Sender = Sender.ai  # who the timeline says wrote it: the AI, or an operator (a takeover, a ticket reply)
    # The `email` channel: a connected email account's id, or LOCATION_DEFAULT.
    send_from: str | None = None


class TicketRequest(BaseModel):
    """A help-desk ticket to open from an approved proposal; `delivery_id` is our idempotency key, and the
    customer is told by email (a delivery of its own)."""

    delivery_id: str
    action_id: str
    conversation_id: str
    location_id: str
    customer_id: str
    subject: str
    body_html: str
    department_id: str | None = None
    priority: Priority = Priority.normal
    internal_notes: str | None = None
    opened_by: str | None = None


class CallRequest(BaseModel):
    """One outbound call; `delivery_id` is our idempotency key, as for email."""

    delivery_id: str
    action_id: str
    location_id: str
    customer_id: str
    voice_script: str


class LinksByText(BaseModel):
    """Links texted to the customer because a call cannot give them; `text_id` is the idempotency key."""

    text_id: str
    action_id: str | None
    customer_id: str
    links: list[str]
    conversation_id: str | None = None  # the call's conversation, for the links its AI gave


class DeliveryReport(BaseModel):
    """What a provider reported about a delivery after it went out (a bounce, a drop, a failed call)."""

    delivery_id: str
    status: DeliveryStatus
    detail: str


# Provider reports that mean the customer never got the message.
UNDELIVERABLE = frozenset({DeliveryStatus.bounced, DeliveryStatus.dropped, DeliveryStatus.failed})


class DeliveryResult(BaseModel):
    delivery_id: str
    provider: str
    message_id: str
    sent_at: datetime


class CustomerMessage(BaseModel):
    """A message from the customer: an email reply, a call transcript turn, a ticket comment."""

    id: str
    channel: Channel
    body: str
    received_at: datetime
    in_reply_to: str | None = None  # our message it answers
    # Where the answer goes: the thread's Message-IDs as the customer's mail carried them (its own last), and
    # the connected account it was written to (None: the AI's reply address).
    references: list[str] = Field(default_factory=list)
    send_from: str | None = None
    # False: an email from an address that is not the customer's (a forwarded email's reader, holding its reply
    # address). It is answered, but nothing is booked or bought on its word, and the team is told.
    sender_known: bool = True


class OutreachOutcome(BaseModel):
    action_id: str
    status: ActionStatus
    conversation_status: ConversationStatus | None = None


# --- conversation ----------------------------------------------------------------------------


class ToolRequest(BaseModel):
    """A tool the AI wants used before it answers; `call_id` is unique within the conversation's turn."""

    call_id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class Offer(BaseModel):
    """A booking the AI proposed: made only on the customer's yes, within the channel's confirmation window."""

    name: str  # the place, as the customer reads it ("Harbour Room")
    bookings: list[ToolRequest]  # what their yes books: one day, or each free day of a weekly booking


class TeamMember(BaseModel):
    """A member of the team acting in a conversation."""

    operator_id: str
    name: str


class ConversationInput(BaseModel):
    conversation_id: str
    action_id: str | None  # None: the members' chat, which no outreach started
    location_id: str
    customer_id: str
    channel: Channel
    subject: str
    idle_timeout: timedelta
    last_message_id: str | None = None
    inbox: list[CustomerMessage] = Field(default_factory=list)
    continued: bool = False
    seen: list[str] = Field(default_factory=list)  # the ids of messages already taken in
    offers: list[Offer] = Field(default_factory=list)  # what the last answer proposed to book, and when
    offered_at: datetime | None = None
    taken_over: TeamMember | None = None  # who of the team has the conversation (None: the AI answers)
    last_message: CustomerMessage | None = None  # the customer's last message: where the team's reply goes
    unanswered: bool = False  # the customer wrote after the team's last reply


class TeamReply(BaseModel):
    """What a team member writes to the customer in a conversation they took over (plain text, as typed)."""

    request_id: str  # the same request sent twice (a double click, a retry) is one reply
    by: TeamMember
    text: str


class Handling(BaseModel):
    """Who answers the customer from now on — a team member, or the AI again (`by` None) — noted on the timeline."""

    conversation_id: str
    by: TeamMember | None
    entry: TimelineEvent


class ConversationOpening(BaseModel):
    conversation_id: str
    action_id: str | None  # None: the members' chat, which no outreach started
    location_id: str
    customer_id: str
    channel: Channel
    subject: str
    at: datetime


class ToolCall(BaseModel):
    """One use of a tool by the conversation's AI (model or offline engine) for one customer at one location."""

    request_key: str  # "{workflow id}:{tool call id}": a tool that changes something does it once per key
    location_id: str
    customer_id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    # Where the use goes on the timeline (None: nowhere, for calls made before tool uses were recorded there).
    action_id: str | None = None
    conversation_id: str | None = None
    # The message that asked came from the customer's own address (or a signed-in chat, or their call).
    sender_known: bool = True


class ToolResult(BaseModel):
    """What a tool found or did, as facts an answer may quote; or why it could not, in words the AI can pass on."""

    name: str
    ok: bool
    content: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    # Refused because the AI has made as many bookings and day passes as it may: the team takes it from there.
    limit_reached: bool = False


class ToolStep(BaseModel):
    request: ToolRequest
    result: ToolResult


class TurnRequest(BaseModel):
    conversation_id: str
    action_id: str | None  # None: the members' chat, which no outreach started
    message: CustomerMessage
    steps: list[ToolStep] = Field(default_factory=list)  # the tools used so far in this turn, with their results
    answer_now: bool = False  # the turn's last round: answer with what the tools found, ask for no more
    # What the last answer proposed to book, while its confirmation window is open: the customer's yes makes it.
    offers: list[Offer] = Field(default_factory=list)


class TurnOutcome(StrEnum):
    reply = "reply"
    resolve = "resolve"
    escalate = "escalate"


class EscalationReason(StrEnum):
    asked_for_person = "asked_for_person"
    dispute = "dispute"  # a billing dispute
    complaint = "complaint"
    legal = "legal"  # a threat of legal action, a lawyer, an authority, a chargeback
    frustrated = "frustrated"
    needs_judgement = "needs_judgement"  # negotiation, a discount, contract terms, a payment arrangement
    outside_scope = "outside_scope"  # neither the tools nor the FAQ answer it
    personal_data = "personal_data"  # a request to erase or export what we hold on the customer
    facilities = "facilities"  # a problem in the space for the team: access, Wi-Fi, something broken
    asked_twice = "asked_twice"
    tools_failed = "tools_failed"
    ai_unavailable = "ai_unavailable"  # the model gave no usable answer, attempt after attempt
    ai_budget_spent = "ai_budget_spent"  # the location's monthly model budget is spent
    booking_limit = "booking_limit"  # the AI made as many bookings and day passes as it may


class Escalation(BaseModel):
    """Why the AI hands the conversation to the team, in a field of its answer (never words in its text)."""

    reason: EscalationReason
    priority: Priority = Priority.normal
    detail: str = ""  # one sentence for the team


class Turn(BaseModel):
    """The AI's answer to one customer message and what should happen to the conversation."""

    reply_html: str
    outcome: TurnOutcome
    summary: str
    # Tools to use first: their results come back in the next request of the same turn, and the answer follows.
    tool_calls: list[ToolRequest] = Field(default_factory=list)
    escalation: Escalation | None = None  # set when the outcome is `escalate`
    # What the answer proposes to book, the first the one it proposes: made on the customer's yes to the next turn.
    offers: list[Offer] = Field(default_factory=list)
    # The customer says they paid what the outreach is about: never marked paid on their word, but its reminders
    # wait for the payment (`PaymentReported`).
    payment_reported: bool = False
    # The customer says they are leaving (will not renew, chose another space): noted for the team, and no agent
    # nudges, offers or follows them up meanwhile (`LeavingSaid`).
    leaving_said: bool = False
    # Why the model's answer was not used, when the offline engine answered in its place (the model answered, but
    # with nothing usable, attempt after attempt): shown in the history, counted by the evaluation.
    model_unusable: str = ""


class PaymentReported(BaseModel):
    """The customer said, in the conversation about `action_id`, that they paid: noted on its invoice at `at`."""

    action_id: str
    conversation_id: str
    at: datetime


class LeavingSaid(BaseModel):
    """The customer said, in a conversation, that they are leaving: noted on the customer at `at`."""

    customer_id: str
    action_id: str | None  # None: the members' chat
    conversation_id: str
    at: datetime


class EscalationRequest(BaseModel):
    """A conversation handed to the team: the help-desk ticket to open (`ticket_id`, our idempotency key) with
    everything the team needs, and what the customer was last told (the ticket's first public comment)."""

    ticket_id: str
    action_id: str | None  # None: the members' chat, which no outreach started
    conversation_id: str
    location_id: str
    customer_id: str
    channel: Channel
    subject: str
    escalation: Escalation
    told_customer_html: str


class ForTheTeam(BaseModel):
    """A customer's message that arrived after the conversation was escalated: it goes to the ticket."""

    message: CustomerMessage
    action_id: str | None  # None: the members' chat, which no outreach started
    conversation_id: str


class LiveAnswer(BaseModel):
    """The answer to a customer who waits for it — in the members' chat, or on a call — and where the conversation
    stands. Empty when there is nothing to say, or when the team has the conversation."""

    message_id: str
    reply_html: str
    status: ConversationStatus
    spoken: str = ""  # on a call: what to say (no URL: `links` went by text message)
    links: list[str] = Field(default_factory=list)
    with_the_team: bool = False  # a team member has the conversation: they answer, not the AI


class CallUtterance(BaseModel):
    """What the AI actually said on a call in answer to `message_id`: all of it or, when the customer talked over
    it, up to there (Twilio's `utteranceUntilInterrupt`); `dropped` when the call ended while it was said."""

    message_id: str
    said: str
    at: datetime
    interrupted: bool = False
    dropped: bool = False


class CallEnded(BaseModel):
    """The call is over: the customer hung up, the AI ended it, or Twilio reported its end."""

    reason: str


class Converted(BaseModel):
    """The conversation's outreach converted (an invoice paid, a booking made): the conversation is resolved."""

    conversion_id: str
    note: str  # "Invoice AMS-1042 paid."


class ConversationStatusChange(BaseModel):
    conversation_id: str
    status: ConversationStatus
    entry: TimelineEvent


StatusChange.model_rebuild()


# --- the customer's history: what the operator sees beside a draft, and the team's brief on a ticket ----------------


class PastOutreach(BaseModel):
    id: str
    agent_type: AgentType
    status: ActionStatus
    channel: Channel
    priority: Priority
    reason: str
    created_at: datetime
    sent_at: datetime | None
    why_not: str | None = Field(description="Why it was cancelled, rejected, or is held")


class PastConversation(BaseModel):
    id: str
    status: ConversationStatus
    channel: Channel
    subject: str
    started_at: datetime
    updated_at: datetime


class PastTicket(BaseModel):
    id: str
    number: str
    status: TicketStatus
    priority: Priority
    subject: str
    created_at: datetime


class PastInvoice(BaseModel):
    number: str
    amount: str
    due_on: str  # a date: the location's day
    paid_at: datetime | None
    days_overdue: int = Field(description="0 when paid or not due yet")


class PastBooking(BaseModel):
    resource: str
    starts_at: datetime
    ends_at: datetime


class CustomerHistory(BaseModel):
    """Who the customer is to the space and what happened between us lately, newest first: the same for the inbox's
    panel (`GET /api/customers/{id}/history`) and the escalation brief. Times are UTC; `time_zone` is the location's."""

    customer_id: str
    name: str
    kind: str
    company: str | None
    email: str | None
    mobile_phone: str | None
    opted_out: bool
    time_zone: str
    member_since: str | None
    months_with_us: int | None
    plan: str | None
    contract: str | None
    open_matter: str | None = Field(description="What the team has open with them, which holds every outreach")
    outreach: list[PastOutreach]
    conversations: list[PastConversation]
    tickets: list[PastTicket]
    invoices: list[PastInvoice] = Field(description="Open ones, then those paid in the last 180 days")
    bookings: list[PastBooking] = Field(description="The last 30 days and what is coming")


# --- operators ---------------------------------------------------------------------------------------------------


class InvitationRequest(BaseModel):
    """An admin's invitation of an operator, to be emailed: the link's token is made where it is sent."""

    operator_id: str
    invited_by: str  # the admin's operator id


class InvitationSent(BaseModel):
    emailed_to: str
    expires_at: datetime
