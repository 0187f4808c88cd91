"""SQLModel tables: the space data agents watch, configuration, and the outreach read model.

Ids are strings chosen by whoever creates the row (demo seed, importer, workflow), so every write
can be an idempotent upsert keyed by id. Money is stored in minor units (cents) to stay exact.
"""

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, StringConstraints
from pydantic import Field as PydanticField
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Enum,
    Index,
    LargeBinary,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlmodel import AutoString, Field, SQLModel

from models.messages import (
    ActionStatus,
    AgentType,
    Channel,
    ConversationStatus,
    ConversionKind,
    DeliveryStatus,
    EmailAccountStatus,
    EmailPreset,
    EscalationReason,
    InboundKind,
    InboundStatus,
    Priority,
    Sender,
    SmtpSecurity,
    TicketStatus,
    TourStatus,
)


def _enum(enum: type[StrEnum]) -> Any:
    """Enums stored as plain strings: adding a value later needs no database type migration."""
    return Enum(enum, native_enum=False, length=32, values_callable=lambda members: [m.value for m in members])


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are aware and UTC on the way in and out, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must carry a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- space data ------------------------------------------------------------------------------


# A wall-clock time, "08:00".
CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"


class LocationSafeguards(SQLModel):
    """How often any customer of a location may hear from us, whichever agents want them — defined once: the
    table's columns (`Location`), the API's read and update bodies (`PUT /api/locations/{id}`)."""

    # No customer hears from any agent more often than this.
    customer_min_gap_hours: int = Field(default=48, ge=0, le=24 * 30, title="Minimum gap between outreaches (hours)")
    # Nor more than this many times in this many days, whichever agents want them: one budget per customer.
    contact_budget: int = Field(default=3, ge=1, le=100, title="Outreaches per customer in the window")
    contact_budget_days: int = Field(default=7, ge=1, le=90, title="Window of the contact budget (days)")
    # Per channel, the hours no outreach goes out on it, on the customer's clock: {"ai_email": ["21:00", "08:00"]}.
    # A channel not named has none (calls go out in business hours whatever this says).
    quiet_hours: dict[Channel, Annotated[list[Annotated[str, StringConstraints(pattern=CLOCK)]],
                                         PydanticField(min_length=2, max_length=2)]] = Field(
        default_factory=dict, sa_type=JSON, nullable=True, title="Quiet hours per channel, on the customer's clock"
    )  # fmt: skip


class Location(LocationSafeguards, table=True):
    id: str = Field(primary_key=True)
    name: str
    time_zone: str
    currency: str = "EUR"
    # {"mon": [["09:00", "18:00"]], ...}; a missing weekday is closed.
    business_hours: dict[str, list[list[str]]] = Field(default_factory=dict, sa_column=Column(JSON))
    closures: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    persona_tone: str = "warm"
    persona_personality: str = ""  # e.g. "upbeat, uses first names, no jargon"
    persona_signature: str = ""
    language: str = "en"  # the language drafts are written in (the offline composer writes English)
    voice_enabled: bool = False
    default_sender_email: str
    default_sender_name: str
    # The AI email's own address (replies go to a signed reply address instead); empty: the default sender.
    ai_sender_email: str = ""
    # How calls speak: a text-to-speech voice of the voice provider and its language tag.
    call_voice: str = "Polly.Joanna"
    call_language: str = "en-US"
    portal_url: str = ""
    address: str = ""
    # Given with a booking or a day pass, so a visitor can work from the moment they arrive.
    wifi_network: str = ""
    wifi_password: str = ""
    day_pass_price_cents: int = 0
    # How often detection runs here; None uses OUTREACH_DETECTION_INTERVAL.
    detection_interval_minutes: int | None = None
    # What model calls may cost here per local calendar month (USD); None uses OUTREACH_LLM_MONTHLY_BUDGET_USD,
    # 0 sets no ceiling.
    llm_monthly_budget_usd: float | None = None


class Plan(SQLModel, table=True):
    id: str = Field(primary_key=True)
    location_id: str = Field(foreign_key="location.id", index=True)
    name: str
    monthly_price_cents: int
    description: str = ""


class Customer(SQLModel, table=True):
    id: str = Field(primary_key=True)
    location_id: str = Field(foreign_key="location.id", index=True)
    name: str
    email: str | None = None
    mobile_phone: str | None = None  # E.164
    kind: str = "member"  # member | contact | lead
    company: str | None = None
    plan_id: str | None = Field(default=None, foreign_key="plan.id")
    joined_on: date | None = None
    opted_out: bool = False
    # When they last said, in a conversation, that they are leaving: for a while no agent nudges, offers or
    # follows them up (`agents.base.leaving`), while the team confirms it with them.
    leaving_said_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    time_zone: str | None = None  # None: the location's


class Invoice(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("location_id", "number"),
        # The due_invoice detector scans unpaid invoices of one location by due date.
        Index("ix_invoice_unpaid_due", "location_id", "paid_at", "due_date"),
    )
    id: str = Field(primary_key=True)
    location_id: str = Field(foreign_key="location.id")
    customer_id: str = Field(foreign_key="customer.id", index=True)
    number: str
    amount_cents: int
    currency: str
    issued_on: date
    due_date: date
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    payment_link: str
    # A payment on its way, as the space's payment system or the customer reports it: reminders wait for it.
    payment_reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InvoiceLine(SQLModel, table=True):
    __tablename__ = "invoice_line"
    id: str = Field(primary_key=True)
    invoice_id: str = Field(foreign_key="invoice.id", index=True)
    description: str
    quantity: int = 1
    unit_amount_cents: int
    amount_cents: int


class Contract(SQLModel, table=True):
    id: str = Field(primary_key=True)
    location_id: str = Field(foreign_key="location.id", index=True)
    customer_id: str = Field(foreign_key="customer.id", index=True)
    plan_id: str = Field(foreign_key="plan.id")
    starts_on: date
    ends_on: date = Field(index=True)
    renewed: bool = False
    cancelled: bool = False


class LeadInquiry(SQLModel, table=True):
    id: str = Field(primary_key=True)
    location_id: str = Field(foreign_key="location.id", index=True)
    customer_id: str = Field(foreign_key="customer.id", index=True)
    inquired_at: datetime = Field(sa_type=UTCDateTime, index=True)
    message: str
    followed_up_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    converted: bool = False


class Resource(SQLModel, table=True):
    id: str = Field(primary_key=True)
    location_id: str = Field(foreign_key="location.id", index=True)
    name: str
    kind: str  # desk | meeting_room | office
    capacity: int = 1
    hourly_rate_cents: int = 0
    monthly_price_cents: int = 0  # offices are let by the month
    description: str = ""


class Booking(SQLModel, table=True):
    id: str = Field(primary_key=True)
    customer_id: str = Field(foreign_key="customer.id", index=True)
    resource_id: str = Field(foreign_key="resource.id", index=True)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    kind: str = "booking"  # booking | day_pass
    # Who asked for it, once: a conversation's tool call ("{workflow id}:{call id}"); a retry finds it here.
    request_key: str | None = Field(default=None, unique=True)
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The conversation whose AI made it, which the AI's bookings per conversation are counted by.
    conversation_id: str | None = Field(default=None, index=True)
    attended: bool | None = None  # as the space's systems report it; None until they do


class CheckIn(SQLModel, table=True):
    """A visit — a door, a badge reader, reception — as the space's systems report it."""

    __tablename__ = "check_in"
    # A customer's visits, newest first: when were they last seen.
    __table_args__ = (Index("ix_check_in_customer_at", "customer_id", "at"),)
    id: str = Field(primary_key=True)  # "{location}:{the space system's id}": a repeated report is the same visit
    location_id: str = Field(foreign_key="location.id", index=True)
    customer_id: str = Field(foreign_key="customer.id")
    at: datetime = Field(sa_type=UTCDateTime)
    source: str = "door"  # door | reception | api


class Tour(SQLModel, table=True):
    """A tour of the space for a lead (or anyone), as the space's systems report it."""

    # The tour agents scan one location's tours of one status by when they start.
    __table_args__ = (Index("ix_tour_location_status_starts", "location_id", "status", "starts_at"),)
    id: str = Field(primary_key=True)  # "{location}:{the space system's id}"
    location_id: str = Field(foreign_key="location.id")
    customer_id: str = Field(foreign_key="customer.id", index=True)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    status: TourStatus = Field(sa_type=_enum(TourStatus))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class FaqArticle(SQLModel, table=True):
    """Searched with the database's own full-text search (SQLite FTS5, PostgreSQL `tsvector`); the index is the
    database's, kept by migration 0010, not a table of ours."""

    id: str = Field(primary_key=True)
    location_id: str = Field(foreign_key="location.id", index=True)
    question: str
    answer: str


# --- configuration ---------------------------------------------------------------------------


class AgentSettings(SQLModel):
    """An agent's configuration at a location, defined once: the table's columns (`AgentConfig`), the API's read
    and update bodies, the policy a detection run applies (`agents.policy`) and the web app's form — its fields,
    labels (`title`) and limits, read from `GET /api/meta` — all come from these fields."""

    enabled: bool = Field(default=True, title="Enabled")
    auto_execute: bool = Field(default=False, title="Send without review at or above the confidence threshold")
    confidence_threshold: int = Field(default=90, ge=0, le=100, title="Confidence threshold (%)")
    threshold_days: int = Field(ge=0, le=365, title="Detect after (days)")
    cooldown_days: int = Field(default=14, ge=0, le=365, title="Cooldown (days)")
    daily_max: int = Field(default=50, ge=0, le=10_000, title="Daily maximum")
    expiry_hours: int = Field(default=72, ge=1, le=24 * 30, title="Proposal expires after (hours)")
    default_channel: Channel = Field(default=Channel.ai_email, sa_type=_enum(Channel), title="Default channel")
    enforce_business_hours: bool = Field(default=False, title="Deliver within business hours only")
    # The column keeps no length: the limit is the API's to check.
    custom_instructions: str = Field(default="", max_length=2_000, sa_type=AutoString, title="Custom instructions")


class AgentConfig(AgentSettings, table=True):
    __table_args__ = (UniqueConstraint("location_id", "agent_type"),)
    id: int | None = Field(default=None, primary_key=True)
    location_id: str = Field(foreign_key="location.id")
    agent_type: AgentType = Field(sa_type=_enum(AgentType))


class Operator(SQLModel, table=True):
    id: str = Field(primary_key=True)
    name: str
    email: str
    # sha256 of its API token (for scripts and integrations), shown once and never stored; None: it has none.
    token_hash: str | None = Field(default=None, unique=True)
    is_admin: bool = False
    location_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    # What the operator may change at its locations (models.operators.Permission); admins may do everything.
    permissions: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    # The password it chose from its invitation, as an argon2id hash (salted, its parameters in it); None: not yet.
    password_hash: str | None = None
    # Wrong passwords since its last sign-in; at `models.operators.ATTEMPTS` sign-in waits until `locked_until`.
    failed_sign_ins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Invitation(SQLModel, table=True):
    """The link an admin gives an operator to choose its password: a random token, in the link only (its hash is the
    key), good once, until `expires_at`; a newer invitation for the same operator voids it."""

    token_hash: str = Field(primary_key=True)
    operator_id: str = Field(foreign_key="operator.id", index=True)
    invited_by: str  # the admin's operator id
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A browser signed in to the web app. Its cookie holds a random token (never the operator's API token) whose
    hash is the key; it ends when the operator signs out, after `web_session_idle_minutes` unused, or
    `web_session_hours` after sign-in, whichever comes first."""

    __tablename__ = "web_session"
    token_hash: str = Field(primary_key=True)
    operator_id: str = Field(foreign_key="operator.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


# --- read model (written only by activities) -------------------------------------------------


class ProposedActionBase(SQLModel):
    """A proposal's fields, defined once: the table adds its keys, the API's detail answer shows them all.
    Their names are those of `Pattern`, `Draft` and `OutreachState`, which fill them (`columns_of`)."""

    location_id: str = Field(foreign_key="location.id")
    agent_type: AgentType = Field(sa_type=_enum(AgentType), index=True)
    dedup_key: str
    # None: a team agent's proposal (an FAQ article to publish), about no one customer.
    customer_id: str | None = Field(default=None, foreign_key="customer.id", index=True)
    status: ActionStatus = Field(sa_type=_enum(ActionStatus))
    channel: Channel = Field(sa_type=_enum(Channel))
    subject: str
    body_html: str
    body_text: str
    voice_script: str = ""
    # The draft as the AI composed it (subject, body_html, voice_script), kept whatever the team edits after, so
    # what is approved can be compared with it. None: proposed before it was kept (the draft then is the row's).
    drafted: dict[str, str] | None = Field(default=None, sa_type=JSON, nullable=True)
    send_from: str | None = None
    ticket_department_id: str | None = None
    ticket_priority: Priority | None = Field(default=None, sa_type=_enum(Priority))
    internal_notes: str | None = None
    composed_by: str = "offline"
    fallback_reason: str | None = None
    risk_notes: list[str] = Field(default_factory=list, sa_type=JSON, nullable=True)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    reason: str
    confidence: int
    confidence_reasons: list[str] = Field(default_factory=list, sa_type=JSON, nullable=True)
    priority: Priority = Field(default=Priority.normal, sa_type=_enum(Priority))
    facts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rejected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reject_reason: str | None = None
    cancel_reason: str | None = None
    held_reason: str | None = None
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    conversation_id: str | None = None


# How urgent a proposal is, in the inbox's attention order (critical 0, high 1, normal 2, low 3): one SQL expression
# for the indexes and the list's query alike, so that the database reads a page of that order from an index.
URGENCY_SQL = "(CASE priority {} END)".format(
    " ".join(f"WHEN '{priority.value}' THEN {rank}" for rank, priority in enumerate(reversed(Priority)))
)


class ProposedAction(ProposedActionBase, table=True):
    __tablename__ = "proposed_action"
    __table_args__ = (
        # Dedup "ever": survives Temporal retention deleting the workflow.
        UniqueConstraint("location_id", "dedup_key"),
        # One per order the inbox lists in (newest first, the id breaking ties): whole, by location, by
        # status, by both; a page is then read from the index, however large the table.
        Index("ix_proposed_action_newest", "created_at", "id"),
        Index("ix_proposed_action_location_newest", "location_id", "created_at", "id"),
        Index("ix_proposed_action_status_newest", "status", "created_at", "id"),
        Index("ix_proposed_action_inbox", "location_id", "status", "created_at", "id"),
        # And what needs attention first, by status (a status across the operator's locations) and by both.
        Index("ix_proposed_action_status_attention", "status", text(URGENCY_SQL), "expires_at", "id"),
        Index("ix_proposed_action_inbox_attention", "location_id", "status", text(URGENCY_SQL), "expires_at", "id"),
        Index("ix_proposed_action_claims", "location_id", "agent_type", "delivery_claimed_at"),
        Index("ix_proposed_action_customer_claims", "customer_id", "delivery_claimed_at"),
    )
    id: str = Field(primary_key=True)  # the outreach workflow id
    # Set in the same transaction as the last safeguard check: cooldowns, the minimum gap and the daily
    # maximum count claims, not deliveries, so two outreaches racing to send cannot both pass.
    delivery_claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @classmethod
    def columns_of(cls, *sources: BaseModel) -> dict[str, Any]:
        """The proposal fields `sources` carry, by name: a field added to a message model and to
        `ProposedActionBase` is written with no further edit."""
        return {
            name: getattr(source, name)
            for source in sources
            for name in type(source).model_fields
            if name in ProposedActionBase.model_fields
        }


class InboxCount(SQLModel, table=True):
    """How many proposals each location has per status, agent and channel, kept by database triggers on
    `proposed_action` (migration 0006) so every writer keeps it right; the inbox's totals are sums of a few
    of these rows, as cheap with a million proposals as with ten."""

    __tablename__ = "inbox_count"
    location_id: str = Field(primary_key=True)
    status: ActionStatus = Field(primary_key=True, sa_type=_enum(ActionStatus))
    agent_type: AgentType = Field(primary_key=True, sa_type=_enum(AgentType))
    channel: Channel = Field(primary_key=True, sa_type=_enum(Channel))
    proposals: int = 0


class Conversation(SQLModel, table=True):
    id: str = Field(primary_key=True)  # the conversation workflow id
    # The outreach it follows; None for the members' chat, which the customer started.
    proposed_action_id: str | None = Field(default=None, foreign_key="proposed_action.id", index=True)
    location_id: str = Field(foreign_key="location.id", index=True)
    customer_id: str = Field(foreign_key="customer.id", index=True)
    channel: Channel = Field(sa_type=_enum(Channel))
    subject: str
    status: ConversationStatus = Field(sa_type=_enum(ConversationStatus))
    started_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # When it last opened (started, or reopened by a customer writing again): the AI's bookings per conversation
    # count from here. None: opened before this was kept, at `started_at`.
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The operator who took the conversation over from the AI and answers the customer; None: the AI answers.
    taken_over_by: str | None = Field(default=None, foreign_key="operator.id")


class Conversion(SQLModel, table=True):
    """An outreach's purpose achieved, as the space's data says: linked to the proposal it followed (None when no
    delivered outreach was about it), so detection → proposal → conversation → outcome is one chain."""

    id: str = Field(primary_key=True)  # "{kind}:{location}:{reference}": each conversion is recorded once
    kind: ConversionKind = Field(sa_type=_enum(ConversionKind))
    location_id: str = Field(foreign_key="location.id", index=True)
    customer_id: str = Field(foreign_key="customer.id", index=True)
    reference: str  # the invoice number, contract id, booking id or customer id
    amount_cents: int | None = None
    proposed_action_id: str | None = Field(default=None, foreign_key="proposed_action.id", index=True)
    conversation_id: str | None = None
    source: str  # api | sandbox | conversation
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class TimelineEntry(SQLModel, table=True):
    __tablename__ = "timeline_entry"
    __table_args__ = (Index("ix_timeline_action_at", "proposed_action_id", "at"),)
    id: str = Field(primary_key=True)
    proposed_action_id: str | None = Field(default=None, foreign_key="proposed_action.id")  # None: members' chat
    conversation_id: str | None = Field(default=None, index=True)
    sender: Sender = Field(sa_type=_enum(Sender))
    channel: Channel | None = Field(default=None, sa_type=_enum(Channel))
    body: str
    at: datetime = Field(sa_type=UTCDateTime)
    delivery_id: str | None = None
    inbound_message_id: str | None = None  # the mail it came in, for a customer's message or the team's
    tool: str | None = None  # the tool an AI used, for a tool's step
    ticket_id: str | None = None  # the help-desk ticket an escalation opened, or a message was passed to


class Delivery(SQLModel, table=True):
    id: str = Field(primary_key=True)  # our message id: the idempotency key of the send
    # None (and no agent) for the team's answers in a members' chat ticket.
    proposed_action_id: str | None = Field(default=None, foreign_key="proposed_action.id", index=True)
    conversation_id: str | None = None
    location_id: str = Field(foreign_key="location.id", index=True)
    # Who received it and which agent's outreach it belongs to. Cooldowns and the daily maximum count
    # claims on the proposed action instead, which exist before the send does.
    customer_id: str = Field(foreign_key="customer.id")
    agent_type: AgentType | None = Field(default=None, sa_type=_enum(AgentType))
    channel: Channel = Field(sa_type=_enum(Channel))
    provider: str
    # sending (written before the provider is called) → sent → delivered | bounced | dropped | … (the provider's
    # later events); failed (the provider refused); unknown (it may or may not have gone out: see status_detail).
    status: DeliveryStatus = Field(sa_type=_enum(DeliveryStatus))
    status_detail: str | None = None
    to_address: str
    from_address: str
    subject: str
    body_html: str
    message_id: str = Field(index=True)  # replies name it in their References
    # The provider's id of the message or call (SendGrid's X-Message-Id, a call SID): the source link.
    provider_message_id: str | None = Field(default=None, index=True)
    in_reply_to: str | None = None
    # An email's headers as they went (or, in the sandbox, would have gone) out: Reply-To, the thread, …
    headers: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class EmailAccountFields(SQLModel):
    """What an operator sets on a connected email account, but where its password is."""

    email: str
    display_name: str = ""
    preset: EmailPreset = Field(default=EmailPreset.generic, sa_type=_enum(EmailPreset))
    smtp_host: str
    smtp_port: int
    smtp_security: SmtpSecurity = Field(sa_type=_enum(SmtpSecurity))
    imap_host: str = ""
    imap_port: int = 993
    imap_security: SmtpSecurity = Field(default=SmtpSecurity.ssl, sa_type=_enum(SmtpSecurity))
    username: str
    # Its mail is read for replies (the mailbox sync); without it replies would not be tracked.
    syncing: bool = True


class EmailAccount(EmailAccountFields, table=True):
    """A connected email account. Its password or OAuth token is never stored: the account names where it is
    (`secret_ref`, see providers/mail_servers.py), and the processes that connect read it from there."""

    __tablename__ = "email_account"
    id: str = Field(primary_key=True)
    location_id: str = Field(foreign_key="location.id", index=True)
    secret_ref: str
    status: EmailAccountStatus = Field(default=EmailAccountStatus.disconnected, sa_type=_enum(EmailAccountStatus))
    last_error: str | None = None
    tested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The mailbox sync's last run: when it finished, and what went wrong if it failed.
    synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sync_error: str | None = None

    @property
    def reads_mail(self) -> bool:
        """Its mail is to be read for replies: sync on, and an IMAP server."""
        return self.syncing and bool(self.imap_host)

    @property
    def syncs(self) -> bool:
        """Its mailbox sync runs: it reads mail, and its connection passed a test since it last changed."""
        return self.reads_mail and self.status == EmailAccountStatus.connected


class HelpdeskDepartment(SQLModel, table=True):
    __tablename__ = "helpdesk_department"
    id: str = Field(primary_key=True)
    location_id: str = Field(foreign_key="location.id", index=True)
    name: str


class Ticket(SQLModel, table=True):
    """A help-desk ticket of the built-in help desk: a request of one customer, worked by the team."""

    # The team agents read a location's tickets of the last weeks.
    __table_args__ = (Index("ix_ticket_location_created", "location_id", "created_at"),)

    id: str = Field(primary_key=True)  # the delivery id of the takeover that opened it
    number: str = Field(unique=True)  # what people say: "ticket T-1A2B3C4D"
    location_id: str = Field(foreign_key="location.id", index=True)
    # The customer who asked; none on a ticket the team opened for itself (a spike of one category to look into).
    requester_id: str | None = Field(default=None, foreign_key="customer.id", index=True)
    subject: str
    status: TicketStatus = Field(sa_type=_enum(TicketStatus))
    priority: Priority = Field(sa_type=_enum(Priority))
    department_id: str | None = Field(default=None, foreign_key="helpdesk_department.id")
    assignee_id: str | None = None  # an operator's id
    proposed_action_id: str | None = Field(default=None, index=True)
    conversation_id: str | None = Field(default=None, index=True)
    # Why the AI handed the conversation over, for a ticket an escalation opened: a question it could not answer
    # (`outside_scope`) is what the FAQ gap agent reads.
    escalation_reason: EscalationReason | None = Field(default=None, sa_type=_enum(EscalationReason))
    # What the ticket is about, in the help desk's own words ("wi-fi", "billing"), set by the team or reported by
    # the space's help desk: a category with many more tickets than usual is what the category spike agent reads.
    category: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class TicketComment(SQLModel, table=True):
    """A public comment (the customer sees it) or an internal note (only the team does)."""

    __tablename__ = "ticket_comment"
    id: str = Field(primary_key=True)
    ticket_id: str = Field(foreign_key="ticket.id", index=True)
    author: Sender = Field(sa_type=_enum(Sender))
    author_name: str
    body_html: str
    public: bool
    created_at: datetime = Field(sa_type=UTCDateTime)


class ProviderEvent(SQLModel, table=True):
    """A webhook event already applied, by the provider's own event id: a provider retrying, or an attacker
    replaying a captured request, changes nothing the second time."""

    __tablename__ = "provider_event"
    id: str = Field(primary_key=True)  # "{provider}:{event id}"
    delivery_id: str | None = None
    received_at: datetime = Field(sa_type=UTCDateTime)


class InboundMessage(SQLModel, table=True):
    """Every mail that came home — a reply, an automatic answer, a bounce, the team's own answer — kept whether
    or not it matched a conversation: what matched nothing waits for an operator, never dropped. The id derives
    from the Message-ID, so the same mail delivered again (a webhook retried, a folder read twice) is this row."""

    __tablename__ = "inbound_message"
    id: str = Field(primary_key=True)
    source: str  # how it came: "sendgrid", "mailbox", "helpdesk" or "sandbox"
    email_account_id: str | None = Field(default=None, foreign_key="email_account.id")
    location_id: str | None = Field(default=None, foreign_key="location.id", index=True)
    message_id: str = Field(index=True)
    sender: str
    sender_name: str = ""
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    subject: str
    references: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    kind: InboundKind = Field(sa_type=_enum(InboundKind))
    status: InboundStatus = Field(sa_type=_enum(InboundStatus), index=True)
    problem: str | None = None  # why it matched nothing (or failed), for the operator who looks
    text: str  # everything it said
    reply: str  # only what was new
    proposed_action_id: str | None = Field(default=None, foreign_key="proposed_action.id", index=True)
    conversation_id: str | None = None
    delivery_id: str | None = None  # our message it answers (or, for a bounce, the one that bounced)
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)
    raw: bytes | None = Field(default=None, sa_type=LargeBinary)  # the mail as it came, when it `failed`


class InboundAttachment(SQLModel, table=True):
    """A file that came with an inbound mail; a file over the size cap is listed but its bytes are not kept."""

    __tablename__ = "inbound_attachment"
    id: str = Field(primary_key=True)  # "{inbound message id}:{position}"
    inbound_message_id: str = Field(foreign_key="inbound_message.id", index=True)
    filename: str
    content_type: str
    size: int
    content: bytes | None = Field(default=None, sa_type=LargeBinary)


class MailboxFolder(SQLModel, table=True):
    """How far the sync has read one folder of a connected account. IMAP UIDs only grow while the folder's
    UIDVALIDITY stays the same; a new UIDVALIDITY means the server renumbered the folder."""

    __tablename__ = "mailbox_folder"
    email_account_id: str = Field(foreign_key="email_account.id", primary_key=True)
    folder: str = Field(primary_key=True)
    uid_validity: int = Field(sa_type=BigInteger)  # IMAP's are 32-bit unsigned
    last_uid: int = Field(sa_type=BigInteger)
    synced_at: datetime = Field(sa_type=UTCDateTime)


# --- limits ----------------------------------------------------------------------------------


class RateLimitUse(SQLModel, table=True):
    """How much of one limit one client has used ("{limit}:{who}"), shared by every API process: each request
    adds the limit's interval to `clear_at`, the moment the use has drained away; a request that would push it
    more than the limit's period ahead is refused. A row whose moment has passed is as good as none."""

    __tablename__ = "rate_limit_use"
    key: str = Field(primary_key=True)
    clear_at: float = Field(index=True)  # seconds since the epoch: arithmetic alike on every database


class ModelSpend(SQLModel, table=True):
    """One model call and what it cost, billed whether or not its answer was used: a location's monthly model
    budget is the sum of these."""

    __tablename__ = "model_spend"
    __table_args__ = (Index("ix_model_spend_location_at", "location_id", "at"),)
    id: str = Field(primary_key=True)
    location_id: str = Field(foreign_key="location.id")
    at: datetime = Field(sa_type=UTCDateTime)
    # What it was for: a draft of the outreach, or a turn of the conversation (its workflow id).
    purpose: str  # "draft" | "conversation"
    reference: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
