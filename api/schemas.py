"""Request and response bodies of the public API."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, create_model, model_validator
from pydantic.fields import FieldInfo

from domain.content import line_break_problem
from models.messages import (
    ActionStatus,
    AgentCategory,
    AgentType,
    Channel,
    ConversationStatus,
    ConversionKind,
    DeliveryStatus,
    EmailAccountStatus,
    EmailPreset,
    InboundKind,
    InboundStatus,
    Priority,
    Sender,
    SmtpSecurity,
    TicketStatus,
    TourStatus,
)
from models.operators import DEFAULT_PERMISSIONS, Permission, normalized_email
from models.tables import AgentSettings, EmailAccountFields, LocationSafeguards, ProposedActionBase
from providers.mail_servers import SECRET_PREFIX

T = TypeVar("T")


class CustomerRef(BaseModel):
    id: str
    name: str


class OperatorRef(BaseModel):
    id: str
    name: str


class CustomerContext(CustomerRef):
    email: str | None
    mobile_phone: str | None
    kind: str
    company: str | None
    opted_out: bool


class AttachmentRef(BaseModel):
    filename: str
    content_type: str
    size: int
    kept: bool  # False: over the size cap, listed but not stored
    link: str | None


class Source(BaseModel):
    """Where a message can be found outside the timeline. Sent: its provider, the provider's id for it
    (SendGrid's message id, a call or message SID, a ticket number), our Message-ID, its delivery status.
    Came home: how (`sendgrid`, `mailbox`, `sandbox`), its Message-ID, what it is, and its attachments."""

    provider: str
    provider_id: str | None = None
    message_id: str
    status: DeliveryStatus | None = None
    kind: InboundKind | None = None
    label: str | None = None  # what the timeline says of it: "Replied via email", "Automatic reply", …
    link: str | None
    attachments: list[AttachmentRef] = []


class TimelineItem(BaseModel):
    id: str
    sender: Sender
    channel: Channel | None
    body: str
    at: datetime
    delivery_id: str | None
    tool: str | None = None  # the tool the AI used, for a tool's step
    ticket_id: str | None = None  # the help-desk ticket an escalation opened, or a message was passed to
    source: Source | None = None


class InboxItem(BaseModel):
    id: str
    status: ActionStatus
    agent_type: AgentType
    channel: Channel
    location_id: str
    customer: CustomerRef | None = Field(description="None: a team agent's proposal, work for the team")
    subject: str
    preview: str = Field(description="The draft's first words; the detail has all of it")
    reason: str
    confidence: int
    confidence_reasons: list[str]
    priority: Priority
    created_at: datetime
    expires_at: datetime
    snoozed_until: datetime | None
    held_reason: str | None = Field(description="Why an approved outreach waits: the location's hours, the "
                                    "customer's contact budget")  # fmt: skip
    conversation_id: str | None
    reachable: bool | None = Field(
        description="Whether the customer has an email address or a mobile number (False: no channel reaches them, "
        "so it cannot be approved; None: the team's)"
    )


class InboxDetail(ProposedActionBase):
    """Every field of the proposal (defined once, in `ProposedActionBase`), with the customer's context, the
    channels that can reach them and the timeline so far."""

    id: str
    customer: CustomerContext | None = Field(description="None: a team agent's proposal, work for the team")
    channel_options: list["ChannelOption"]
    send_from_options: list["SendFromOption"]
    timeline: list[TimelineItem]
    conversions: list["ConversionPublic"] = Field(description="What the outreach achieved, as the space reported")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


class InboxOrder(StrEnum):
    """The orders the inbox list offers."""

    attention = "attention"  # the most urgent first, then the soonest to expire: what to decide next
    newest = "newest"


class InboxPage(Page[InboxItem]):
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the page after this one (None: this is the last); a deep page is read "
        "as fast as the first"
    )


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def no_nul(self) -> Self:
        for name, value in self:
            if isinstance(value, str) and "\x00" in value:
                raise ValueError(f"{name} contains a NUL character (\\u0000); remove it")
        return self


def _one_line(field: str) -> AfterValidator:
    def check(value: str) -> str:
        problem = line_break_problem(field, value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def _category(value: str) -> str:
    """A help-desk category as kept: one line, lower case, single spaces — "Wi-Fi " and "wi-fi" are one category."""
    words = " ".join(value.split()).lower()
    if not words:
        raise ValueError('the category is empty (only white space); name it, e.g. "wi-fi" or "billing"')
    return words


Category = Annotated[str, AfterValidator(_category), Field(max_length=40, description="What the ticket is about, "
                     "in the help desk's own words (kept in lower case)")]  # fmt: skip


def _filled(field: str, what: str) -> AfterValidator:
    """A text without its surrounding white space, refused in words when nothing else is left."""

    def check(value: str) -> str:
        if not value.strip():
            raise ValueError(f"the {field} is empty (only white space); give {what}")
        return value.strip()

    return AfterValidator(check)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("the message is empty (only white space); write what the customer says")
    return value


class EditBody(_Body):
    subject: Annotated[str, _one_line("subject")] | None = Field(default=None, max_length=300)
    body_html: str | None = Field(default=None, max_length=100_000)
    voice_script: str | None = Field(default=None, max_length=2_000)


class ApproveBody(EditBody):
    # A name, not the enum: an unknown one gets an answer naming the channels this proposal can use.
    channel: str | None = Field(default=None, max_length=32, examples=["ai_email", "voice", "email"])
    # The `email` channel: a connected email account's id, or "location_default".
    send_from: str | None = Field(default=None, max_length=100, examples=["location_default"])
    # The `helpdesk` channel's ticket; internal notes are for the team and never reach the customer.
    department_id: str | None = Field(default=None, max_length=100)
    priority: Priority | None = None
    internal_notes: str | None = Field(default=None, max_length=5_000)
    review_notes: str | None = Field(default=None, max_length=2_000)


# How many proposals one batch approval takes at most: few enough that every one of them was looked at.
BATCH_MOST = 20
# A confidence operators read as high (green): what a batch takes by default. Medium is from 50.
HIGH_CONFIDENCE = 80


class BatchApproval(_Body):
    """Several proposals of one agent, approved as drafted, each validated one by one as a single approval is."""

    action_ids: list[Annotated[str, Field(max_length=200)]] = Field(min_length=1, max_length=BATCH_MOST)
    min_confidence: int = Field(default=HIGH_CONFIDENCE, ge=0, le=100,
                                description="Each proposal's confidence must be at least")  # fmt: skip
    review_notes: str | None = Field(default=None, max_length=2_000)


class BatchOutcome(BaseModel):
    action_id: str
    approved: bool
    status: ActionStatus = Field(description="Where the proposal stands after the attempt")
    detail: str | None = Field(description="Why it was not approved, in words")


class DeliveryPreview(BaseModel):
    """What approving with these choices would deliver, as the customer gets it: `{{variables}}` filled in, the body
    sanitised as it is on approval; a call's script as it is said and the links texted after it."""

    channel: Channel
    sender: str | None = Field(description="Who it comes from, as the customer sees it")
    recipient: str | None = Field(description="The address or number it goes to (None: the team's)")
    subject: str
    body_html: str
    body_text: str
    spoken: str | None = Field(description="A call: the script as the voice says it")
    texted_links: list[str] = Field(description="A call: the links texted to the customer after it")
    notification_subject: str | None = Field(
        default=None,
        description="A help-desk ticket: the email that tells the "
        "customer it was opened (its number, T-…, is given when it is)",
    )
    notification_html: str | None = None
    changes: list[str] = Field(description="Lines taken out (\"- …\") and put in (\"+ …\") against the draft as the "
                               "AI composed it (saved edits included), subject first; empty: it goes as the AI "
                               "drafted it")  # fmt: skip


class RejectBody(_Body):
    reason: str = Field(default="", max_length=2_000)


class SnoozeBody(_Body):
    until: AwareDatetime


class ConversationItem(BaseModel):
    id: str
    proposed_action_id: str | None = Field(description="The outreach it followed (None: a members' chat)")
    location_id: str
    customer: CustomerRef
    channel: Channel
    subject: str
    status: ConversationStatus
    started_at: datetime
    updated_at: datetime
    taken_over_by: OperatorRef | None = Field(description="The team member who has it (None: the AI answers)")


class ConversationDetail(ConversationItem):
    timeline: list[TimelineItem]
    conversions: list["ConversionPublic"]
    time_zone: str = Field(description="The location's (IANA), the clock its team reads the times on")


class OutboxItem(BaseModel):
    id: str
    proposed_action_id: str | None  # None: the team's answer in the ticket of a members' chat
    conversation_id: str | None
    location_id: str
    channel: Channel
    provider: str
    status: str
    to_address: str
    from_address: str
    subject: str
    body_html: str
    message_id: str
    in_reply_to: str | None
    headers: dict[str, str] | None  # an email's headers as they would have been sent (Reply-To, the thread, …)
    created_at: datetime


class InvoicePaid(_Body):
    location_id: str = Field(max_length=100)
    invoice_number: str = Field(min_length=1, max_length=50)
    paid_at: AwareDatetime | None = Field(default=None, description="When it was paid (default: now)")


class PaymentReported(_Body):
    """A payment on its way (a transfer made, a payment pending at the provider): reminders wait for it."""

    location_id: str = Field(max_length=100)
    invoice_number: str = Field(min_length=1, max_length=50)
    reported_at: AwareDatetime | None = Field(default=None, description="When it was reported (default: now)")


class ContractRenewed(_Body):
    location_id: str = Field(max_length=100)
    contract_id: str = Field(min_length=1, max_length=100)
    renewed_at: AwareDatetime | None = None


class BookingMade(_Body):
    location_id: str = Field(max_length=100)
    customer_id: str = Field(max_length=100)
    booking_id: str = Field(min_length=1, max_length=100, description="The booking's id in the space's system")
    booked_at: AwareDatetime | None = None


class LeadConverted(_Body):
    location_id: str = Field(max_length=100)
    customer_id: str = Field(max_length=100)
    converted_at: AwareDatetime | None = None


class CheckInReported(_Body):
    location_id: str = Field(max_length=100)
    customer_id: str = Field(max_length=100)
    check_in_id: str = Field(min_length=1, max_length=100, description="The visit's id in the space's system")
    at: AwareDatetime | None = Field(default=None, description="When they came in (default: now)")
    source: Literal["door", "reception", "app"] = "door"


class TourReported(_Body):
    """A tour booked, moved, taken, missed or cancelled: the same tour reported again is updated."""

    location_id: str = Field(max_length=100)
    customer_id: str = Field(max_length=100)
    tour_id: str = Field(min_length=1, max_length=100, description="The tour's id in the space's system")
    starts_at: AwareDatetime
    status: TourStatus = TourStatus.scheduled


class TicketReported(_Body):
    """A ticket of the space's own help desk, opened or updated there: kept here with its category, for the team
    agents that read the help desk (the same ticket reported again is updated)."""

    location_id: str = Field(max_length=100)
    customer_id: str | None = Field(default=None, max_length=100, description="Who asked, if a customer did")
    ticket_id: str = Field(min_length=1, max_length=100, description="The ticket's id in the space's help desk")
    subject: Annotated[str, _one_line("subject"), _filled("subject", "the ticket's subject")] = Field(max_length=300)
    category: Category | None = None
    status: TicketStatus = TicketStatus.open
    opened_at: AwareDatetime | None = Field(default=None, description="When it was opened (default: now)")


class AttendanceReported(_Body):
    location_id: str = Field(max_length=100)
    booking_id: str = Field(min_length=1, max_length=100)
    attended: bool


class ConversionPublic(BaseModel):
    id: str
    kind: ConversionKind
    location_id: str
    customer_id: str
    reference: str
    amount_cents: int | None
    proposed_action_id: str | None = Field(description="The delivered outreach it followed (None: none did)")
    conversation_id: str | None
    source: str
    occurred_at: datetime


class ActivityRecorded(BaseModel):
    """What the space reported, as kept here, and the outreach it completes, if it completes one."""

    id: str
    conversion: ConversionPublic | None = None


class SimulatedConversion(_Body):
    proposed_action_id: str


class SimulatedReply(_Body):
    proposed_action_id: str
    body: Annotated[str, AfterValidator(_not_blank)] = Field(min_length=1, max_length=20_000)


class InboundReceived(BaseModel):
    """What became of a mail that came home: routed to a conversation, or kept unmatched (and why)."""

    id: str
    status: InboundStatus
    proposed_action_id: str | None
    problem: str | None


class InboundItem(BaseModel):
    id: str
    source: str
    location_id: str | None
    sender: str
    sender_name: str
    subject: str
    kind: InboundKind
    status: InboundStatus
    problem: str | None
    proposed_action_id: str | None
    conversation_id: str | None
    received_at: datetime


class InboundDetail(InboundItem):
    message_id: str
    recipients: list[str]
    references: list[str]
    reply: str  # only what was new in it
    text: str  # everything it said
    attachments: list[AttachmentRef]


class AttachRequest(_Body):
    proposed_action_id: str = Field(min_length=1, max_length=300)


class ReplyAccepted(BaseModel):
    proposed_action_id: str
    conversation_id: str
    message_id: str


class AgentConfigPublic(AgentSettings):
    """An agent at a location: its settings, and what it is (from the registry of agents)."""

    location_id: str
    agent_type: AgentType
    category: AgentCategory
    description: str
    auto_execute_safe: bool


def _optional(field: FieldInfo) -> Any:
    """The same field with its limits, optional: left out (None), the setting keeps its value."""
    annotation: Any = field.annotation
    optional = FieldInfo.merge_field_infos(field, default=None)
    optional.default_factory = None  # a setting made by a factory ({} of quiet hours) is left out all the same
    return annotation | None, optional


# The settings to change, derived from `AgentSettings`: a new setting is one field there.
AgentConfigUpdate = create_model(
    "AgentConfigUpdate",
    __base__=_Body,
    __doc__="Fields to change; those left out keep their value. Takes effect on the next detection run.",
    **{name: _optional(field) for name, field in AgentSettings.model_fields.items()},
)


# The location's safeguards to change, derived from `LocationSafeguards`: a new one is one field there.
LocationSafeguardsUpdate = create_model(
    "LocationSafeguardsUpdate",
    __base__=_Body,
    __doc__="Fields to change; those left out keep their value. Quiet hours replace the whole map ({} for none).",
    **{name: _optional(field) for name, field in LocationSafeguards.model_fields.items()},
)


class LocationPublic(LocationSafeguards):
    """A location the operator may see, with the safeguards that hold for every agent there."""

    id: str
    name: str
    time_zone: str
    currency: str


class Choice(BaseModel):
    value: str
    label: str


class AgentKind(BaseModel):
    agent_type: AgentType
    label: str
    category: AgentCategory
    description: str
    auto_execute_safe: bool
    threshold_days: int = Field(description="Its detection threshold when a location is set up")


class SettingField(BaseModel):
    """One setting of every agent, as a form shows it."""

    name: str
    label: str
    kind: str = Field(description="switch, number, choice or text")
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    choices: list[Choice] = Field(default_factory=list)


class Vocabulary(BaseModel):
    """The API's enums and choices with their labels, for a client to build its filters and forms from."""

    statuses: list[Choice]
    channels: list[Choice]
    priorities: list[Choice]
    categories: list[Choice]  # whom agents' proposals are for: customers, or the team
    sorts: list[Choice]  # the orders the inbox list offers, the first what to decide next
    ticket_statuses: list[Choice]  # a help-desk ticket's
    agents: list[AgentKind]
    agent_settings: list[SettingField]


class DetectionSchedule(BaseModel):
    location_id: str
    interval_minutes: int


class DetectionScheduleUpdate(_Body):
    interval_minutes: int = Field(ge=5, le=24 * 60)


class DetectionRun(_Body):
    location_id: str


class DetectionRunStarted(BaseModel):
    location_id: str
    workflow_id: str


class OperatorSelf(BaseModel):
    id: str
    name: str
    email: str
    is_admin: bool
    location_ids: list[str] = Field(description="Empty for an admin, who sees every location")
    permissions: list[Permission]


class OperatorRead(OperatorSelf):
    signs_in_with: list[Literal["password", "api_token"]] = Field(description="Empty: invited, no password yet")
    invited_until: datetime | None = Field(description="When its unused invitation link expires, if it has one")


class OperatorInvite(_Body):
    name: Annotated[str, _one_line("name"), _filled("name", "the operator's name")] = Field(
        min_length=1, max_length=120
    )
    # Its ValueError says what is wrong with the address.
    email: Annotated[str, AfterValidator(normalized_email)] = Field(max_length=254, examples=["ava@canalhouse.example"])
    location_ids: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=200, description="The locations it sees; empty only for an admin"
    )
    permissions: list[Permission] = Field(default_factory=lambda: list(DEFAULT_PERMISSIONS), max_length=20)
    is_admin: bool = False


class InvitationLink(BaseModel):
    operator: OperatorRead
    link: str | None = Field(description="Without an email provider, shown once: give it to the operator, who opens "
                             "it to choose a password. It works once, until expires_at; a newer invitation voids it. "
                             "None: it was emailed to them")  # fmt: skip
    emailed_to: str | None = Field(description="Where the invitation was emailed (the link is only there)")
    expires_at: datetime


class ChatLink(BaseModel):
    link: str = Field(description="Hand it to the customer's browser: it sends it as the X-Chat-Link header")
    expires_at: datetime


class ChatMessageIn(_Body):
    text: Annotated[str, AfterValidator(_not_blank)] = Field(min_length=1, max_length=4_000)
    message_id: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="The chat's own id of the message: the same message sent again (a retry) is answered once",
    )  # fmt: skip


class ChatReply(BaseModel):
    conversation_id: str
    message_id: str
    status: ConversationStatus
    reply_html: str = Field(description="The AI's answer (empty: nothing to add, or the team has the conversation)")
    notice: str | None = Field(description="What the chat should tell the customer besides the answer")


class ChatLine(BaseModel):
    sender: Sender
    body: str
    at: datetime


class ChatTranscript(BaseModel):
    conversation_id: str | None
    status: ConversationStatus | None
    lines: list[ChatLine]


class OptOutResult(BaseModel):
    customer_id: str
    opted_out: bool
    cancelled: list[str]


class AgentFunnel(BaseModel):
    """One agent's outreach from detection to outcome; each rate is of the step before (None: nothing to rate)."""

    agent_type: AgentType
    proposed: int
    approved: int  # by an operator, or executed automatically
    sent: int
    replied: int
    converted: int
    approval_rate: float | None
    delivery_rate: float | None
    reply_rate: float | None
    conversion_rate: float | None


class InboxSummary(BaseModel):
    pending: int
    approved_today: int
    rejected_today: int
    average_review_seconds: float | None
    approval_rate: float | None
    funnel: list[AgentFunnel]


class ChannelOption(BaseModel):
    channel: Channel
    available: bool
    warning: str | None


class SendFromOption(BaseModel):
    """Where an `email` approval can send from: the location default or one of its connected accounts."""

    send_from: str
    email: str
    available: bool
    warning: str | None


# Checked where the deployment's rules are known (its secrets folder): the router answers 422 naming what is allowed.
SecretRef = Annotated[str, Field(max_length=500, examples=[f"env:{SECRET_PREFIX}BILLING", "file:billing-ams"])]


class EmailAccountCreate(_Body):
    """A connected email account. A preset fills in its provider's servers; `generic` needs them given."""

    location_id: str = Field(max_length=100)
    email: str = Field(max_length=320)
    display_name: Annotated[str, _one_line("display_name")] = Field(default="", max_length=200)
    preset: EmailPreset = EmailPreset.generic
    smtp_host: str | None = Field(default=None, max_length=255)
    smtp_port: int | None = Field(default=None, ge=1, le=65_535)
    smtp_security: SmtpSecurity | None = None
    imap_host: str | None = Field(default=None, max_length=255)
    imap_port: int | None = Field(default=None, ge=1, le=65_535)
    imap_security: SmtpSecurity | None = None
    username: str | None = Field(default=None, max_length=320, description="Defaults to the email address")
    secret_ref: SecretRef
    syncing: bool = True


class EmailAccountUpdate(_Body):
    """Fields to change; those left out keep their value. A change of server or secret disconnects the account
    until its connection is tested again."""

    display_name: Annotated[str, _one_line("display_name")] | None = Field(default=None, max_length=200)
    smtp_host: str | None = Field(default=None, max_length=255)
    smtp_port: int | None = Field(default=None, ge=1, le=65_535)
    smtp_security: SmtpSecurity | None = None
    imap_host: str | None = Field(default=None, max_length=255)
    imap_port: int | None = Field(default=None, ge=1, le=65_535)
    imap_security: SmtpSecurity | None = None
    username: str | None = Field(default=None, max_length=320)
    secret_ref: SecretRef | None = None
    syncing: bool | None = None


class EmailAccountPublic(EmailAccountFields):
    """A connected email account as every operator of its location sees it."""

    id: str
    location_id: str
    status: EmailAccountStatus
    tested_at: datetime | None
    synced_at: datetime | None


class EmailAccountManaged(EmailAccountPublic):
    """The account as those who manage it (`emailAccount`) see it: also where its password is, and what went
    wrong when it was last tested and synced."""

    secret_ref: str
    last_error: str | None
    sync_error: str | None


class UsageRow(BaseModel):
    """Composition usage of one agent on one (UTC) day."""

    day: str
    agent_type: AgentType
    proposals: int
    model_drafts: int
    fallbacks: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


class DepartmentCreate(_Body):
    location_id: str = Field(max_length=100)
    name: Annotated[str, _one_line("name")] = Field(min_length=1, max_length=100)


class DepartmentPublic(BaseModel):
    id: str
    location_id: str
    name: str


class TicketComment(BaseModel):
    id: str
    author: Sender
    author_name: str
    body_html: str
    public: bool
    created_at: datetime


class TicketPublic(BaseModel):
    id: str
    number: str
    location_id: str
    requester_id: str | None = Field(description="None: a ticket the team opened for itself")
    subject: str
    status: TicketStatus
    priority: Priority
    category: str | None
    department_id: str | None
    assignee_id: str | None
    proposed_action_id: str | None
    conversation_id: str | None
    created_at: datetime
    updated_at: datetime


class TicketDetail(TicketPublic):
    comments: list[TicketComment]
    assignee: OperatorRef | None = Field(description="Who the ticket is assigned to")
    assignable: list[OperatorRef] = Field(description="The operators it can be assigned to: those of its location")


class TicketUpdate(_Body):
    """Fields to change; those left out keep their value."""

    status: TicketStatus | None = None
    priority: Priority | None = None
    category: Category | None = None
    department_id: str | None = Field(default=None, max_length=100)
    assignee_id: str | None = Field(
        default=None, max_length=100, description="An operator of the ticket's location; empty: assigned to no one"
    )


class RequesterComment(_Body):
    body: Annotated[str, AfterValidator(_not_blank)] = Field(min_length=1, max_length=20_000)


class TeamReplyCreate(_Body):
    text: str = Field(min_length=1, max_length=20_000, description="The answer to the customer, as typed (plain text)")
    request_id: str = Field(min_length=1, max_length=100, description="Sent again with the same id (a retry, a "
                            "double click), the answer goes once")  # fmt: skip


class CommentCreate(_Body):
    body_html: str = Field(min_length=1, max_length=100_000)
    public: bool = Field(description="False: an internal note the customer never sees")
    request_id: str | None = Field(default=None, min_length=1, max_length=100, description="Posted again with the "
                                   "same id (a retry, a double click), the comment is added and sent once")  # fmt: skip
