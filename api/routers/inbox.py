"""The AI Inbox: proposed actions and the operator's decisions on them.

Decisions go to the outreach workflow as Updates; the workflow writes the read model before it
answers, so the response (and any read after it) already shows the new state.
"""

import base64
import difflib
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import Integer, case, exists, func, literal_column, or_, tuple_
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from agents.registry import ROSTER
from api.auth import can_access, location_filter, may
from api.deps import ClientDep, CurrentOperator, PaginationDep, Reviewer, SessionDep
from api.queries import conversions_of, department_problem, seconds_between, timeline, visible_action
from api.schemas import (
    AgentFunnel,
    ApproveBody,
    BatchApproval,
    BatchOutcome,
    ChannelOption,
    CustomerContext,
    DeliveryPreview,
    EditBody,
    InboxDetail,
    InboxOrder,
    InboxPage,
    InboxSummary,
    RejectBody,
    SendFromOption,
    SnoozeBody,
)
from domain import channels, variables
from domain.business_hours import local_day_start
from domain.contacts import international_phone
from domain.content import html_to_text, sanitize_html, spoken_and_links
from models.messages import (
    LOCATION_DEFAULT,
    ActionStatus,
    AgentCategory,
    AgentType,
    ApproveRequest,
    Channel,
    DraftEdit,
    Priority,
    RejectRequest,
    SnoozeRequest,
)
from models.operators import Permission
from models.tables import (
    URGENCY_SQL,
    Conversation,
    Conversion,
    Customer,
    EmailAccount,
    InboxCount,
    Location,
    Operator,
    ProposedAction,
)
from providers.helpdesk import NUMBER_TO_COME, notification
from workflows.outreach import OutreachWorkflow

router = APIRouter(prefix="/api/inbox", tags=["inbox"])

# Validator failures of the workflow, mapped to what the API answers.
_DECISION_ERRORS = {"ActionNotPending": status.HTTP_409_CONFLICT, "InvalidDecision": 422}


PREVIEW_CHARS = 160
# The decisions the summary's review time and approval rate are of: recent enough to say how the team works now.
REVIEW_WINDOW = timedelta(days=7)
# What an inbox row shows: everything but the draft itself, which only the detail needs.
_ROW: tuple[Any, ...] = (
    col(ProposedAction.id),
    col(ProposedAction.status),
    col(ProposedAction.agent_type),
    col(ProposedAction.channel),
    col(ProposedAction.location_id),
    col(ProposedAction.subject),
    func.substr(ProposedAction.body_text, 1, PREVIEW_CHARS).label("preview"),
    col(ProposedAction.reason),
    col(ProposedAction.confidence),
    col(ProposedAction.confidence_reasons),
    col(ProposedAction.priority),
    col(ProposedAction.created_at),
    col(ProposedAction.expires_at),
    col(ProposedAction.snoozed_until),
    col(ProposedAction.held_reason),
    col(ProposedAction.conversation_id),
    col(Customer.id).label("customer_id"),
    col(Customer.name).label("customer_name"),
    or_(col(Customer.email).is_not(None), col(Customer.mobile_phone).is_not(None)).label("reachable"),
)
# How urgent a proposal is, most urgent first, as the attention order's indexes have it.
_URGENCY = literal_column(URGENCY_SQL, Integer)
# Each order the list offers: its columns, ending in the id so that rows never tie, and whether it runs down them.
_ORDERS: dict[InboxOrder, tuple[tuple[Any, ...], bool]] = {
    InboxOrder.attention: ((_URGENCY, col(ProposedAction.expires_at), col(ProposedAction.id)), False),
    InboxOrder.newest: ((col(ProposedAction.created_at), col(ProposedAction.id)), True),
}


def _order_by(order: InboxOrder) -> list[Any]:
    columns, descending = _ORDERS[order]
    return [column.desc() if descending else column for column in columns]


def _cursor_of(row: Any, order: InboxOrder) -> str:
    """Opaque and URL-safe: it goes into a query string as it is. It names its order and the last row's keys."""
    if order is InboxOrder.attention:
        keys = [str(len(Priority) - 1 - Priority(row.priority).rank), row.expires_at.isoformat()]
    else:
        keys = [row.created_at.isoformat()]
    return base64.urlsafe_b64encode("|".join([order.value, *keys, row.id]).encode()).decode().rstrip("=")


def _aware(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError("a time without its zone")
    return at


def _after(cursor: str, order: InboxOrder) -> Any:
    """The condition for the rows after the one `cursor` names, in the list's order."""
    refused = HTTPException(422, detail="cursor: not one this API gave; pass a page's next_cursor as it came.")
    try:
        named, *keys, action_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        if named != order.value and named in set(InboxOrder):
            raise HTTPException(422, detail=f"cursor: it reads on the list sorted {named!r}; pass sort={named} "
                                "with it, or start again without a cursor.")  # fmt: skip
        if named == InboxOrder.attention == order:
            urgency, expires_at = keys
            after: tuple[Any, ...] = (int(urgency), _aware(expires_at))
        elif named == InboxOrder.newest == order:
            (created_at,) = keys
            after = (_aware(created_at),)
        else:
            raise refused
    except ValueError as error:  # not base64, not UTF-8, too few or many keys, not a number or not a time
        raise refused from error
    if not action_id:
        raise refused
    columns, descending = _ORDERS[order]
    return tuple_(*columns) < tuple_(*after, action_id) if descending else tuple_(*columns) > tuple_(*after, action_id)


def _filters(table: type[ProposedAction] | type[InboxCount], operator: Any, location_id: str | None,
             kinds: list[AgentType] | None, **equal: Any) -> list[Any]:  # fmt: skip
    """The list's filters on the proposals, or on their counts: both have the same columns. `kinds`: the agents
    of a category."""
    conditions = [location_filter(operator, table.location_id, location_id)]
    conditions += [col(table.agent_type).in_(kinds)] if kinds is not None else []
    conditions += [col(getattr(table, name)) == value for name, value in equal.items() if value is not None]
    return conditions


@router.get("", response_model=InboxPage)
def list_inbox(
    session: SessionDep,
    operator: CurrentOperator,
    pagination: PaginationDep,
    status_: Annotated[ActionStatus | None, Query(alias="status")] = None,
    agent_type: AgentType | None = None,
    channel: Channel | None = None,
    location_id: str | None = None,
    category: Annotated[AgentCategory | None, Query(description="Customers' proposals, or the team's")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Customer name or subject contains")] = None,
    cursor: Annotated[str | None, Query(max_length=300, description="A page's next_cursor: the page after it")] = None,
    sort: Annotated[
        InboxOrder,
        Query(
            description="newest: newest first; attention: the most urgent first (critical, "
            "high, normal, low), then the soonest to expire"
        ),
    ] = InboxOrder.newest,
) -> dict[str, Any]:
    """Proposed actions of the operator's locations, newest first or in the order they need attention."""
    if cursor is not None and pagination.page != 1:
        raise HTTPException(422, detail="Pass either page or cursor, not both: cursor already says where to go on.")
    equal = {"status": status_, "agent_type": agent_type, "channel": channel}
    kinds = [kind for kind, agent in ROSTER.items() if agent.category is category] if category else None
    conditions = _filters(ProposedAction, operator, location_id, kinds, **equal)
    if q:
        pattern = f"%{q.lower()}%"
        conditions.append(
            or_(func.lower(Customer.name).like(pattern), func.lower(ProposedAction.subject).like(pattern))
        )
        counting = select(func.count()).select_from(ProposedAction).outerjoin(Customer).where(*conditions)
    else:
        counted = _filters(InboxCount, operator, location_id, kinds, **equal)
        counting = select(func.coalesce(func.sum(InboxCount.proposals), 0)).where(*counted)
    # Columns, not objects: the connection answers them without the ORM's work per row.
    connection = session.connection()
    total = connection.execute(counting).scalar_one()
    query = (
        select_columns(*_ROW)
        .outerjoin(Customer)
        .where(*conditions)
        .order_by(*_order_by(sort))
        .limit(pagination.page_size)
    )
    query = query.where(_after(cursor, sort)) if cursor is not None else query.offset(pagination.offset)
    rows = connection.execute(query).all()
    items = [{**row._mapping, "customer": {"id": row.customer_id, "name": row.customer_name} if row.customer_id
              else None, "reachable": bool(row.reachable) if row.customer_id else None} for row in rows]  # fmt: skip
    last = rows[-1] if len(rows) == pagination.page_size else None
    return {
        "items": items,
        "total": total,
        "page": pagination.page,
        "page_size": pagination.page_size,
        "next_cursor": _cursor_of(last, sort) if last is not None else None,
    }


@router.get("/summary", response_model=InboxSummary)
def inbox_summary(
    session: SessionDep,
    operator: CurrentOperator,
    location_id: str | None = None,
    time_zone: Annotated[str, Query(description="Whose 'today', e.g. Europe/Amsterdam")] = "UTC",
) -> InboxSummary:
    """Pending now; approved and rejected today; the average review time (creation to decision) and the approval
    rate of the decisions of the last 7 days."""
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise HTTPException(
            422, detail=f"Unknown time zone {time_zone!r}; use a name like Europe/Amsterdam."
        ) from error
    now = datetime.now(UTC)
    today = local_day_start(now, time_zone)
    mine = location_filter(operator, ProposedAction.location_id, location_id)

    def count(*conditions: Any) -> int:
        return session.exec(select(func.count()).select_from(ProposedAction).where(mine, *conditions)).one()

    decided_at = func.coalesce(ProposedAction.approved_at, ProposedAction.rejected_at)
    decided, approved, average_review_seconds = session.exec(
        select(
            func.count(),
            func.count(col(ProposedAction.approved_at)),
            func.avg(seconds_between(session, ProposedAction.created_at, decided_at)),
        ).where(mine, decided_at >= now - REVIEW_WINDOW)
    ).one()
    return InboxSummary(
        pending=count(col(ProposedAction.status) == ActionStatus.pending),
        approved_today=count(col(ProposedAction.approved_at) >= today),
        rejected_today=count(col(ProposedAction.rejected_at) >= today),
        average_review_seconds=average_review_seconds,
        approval_rate=approved / decided if decided else None,
        funnel=_funnel(session, mine),
    )


def _funnel(session: Session, mine: Any) -> list[AgentFunnel]:
    """Per agent: proposed → approved → sent → replied (a conversation) → converted (a conversion linked)."""
    sent = col(ProposedAction.status) == ActionStatus.sent

    def counted(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    rows = session.execute(
        select_columns(
            col(ProposedAction.agent_type),
            func.count(),
            counted(or_(col(ProposedAction.approved_at).is_not(None), sent)),
            counted(sent),
            counted(exists().where(col(Conversation.proposed_action_id) == ProposedAction.id)),
            counted(exists().where(col(Conversion.proposed_action_id) == ProposedAction.id)),
        )
        .where(mine)
        .group_by(col(ProposedAction.agent_type))
        .order_by(col(ProposedAction.agent_type))
    ).all()

    def rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    return [
        AgentFunnel(agent_type=agent, proposed=proposed, approved=approved, sent=delivered, replied=replied,
                    converted=converted, approval_rate=rate(approved, proposed),
                    delivery_rate=rate(delivered, approved), reply_rate=rate(replied, delivered),
                    conversion_rate=rate(converted, delivered))
        for agent, proposed, approved, delivered, replied, converted in rows
    ]  # fmt: skip


def _reach(session: Session, action: ProposedAction) -> tuple[Customer | None, channels.Reach]:
    """The customer and how to reach them; a team proposal's (None) is reached on no channel."""
    location = session.get(Location, action.location_id)
    assert location is not None  # enforced by the foreign key
    customer = session.get(Customer, action.customer_id) if action.customer_id is not None else None
    if customer is None:
        return None, channels.Reach(email=None, mobile=None, mobile_valid=False, voice_enabled=location.voice_enabled)
    reach = channels.Reach(
        email=customer.email,
        mobile=customer.mobile_phone,
        mobile_valid=international_phone(customer.mobile_phone) is not None,
        voice_enabled=location.voice_enabled,
    )
    return customer, reach


def _mailbox(account: EmailAccount) -> channels.Mailbox:
    return channels.Mailbox(id=account.id, email=account.email, location_id=account.location_id,
                            status=account.status, syncing=account.syncing, last_error=account.last_error)  # fmt: skip


def _mailboxes(session: Session, location_id: str) -> list[channels.Mailbox]:
    accounts = session.exec(
        select(EmailAccount).where(col(EmailAccount.location_id) == location_id).order_by(col(EmailAccount.email))
    ).all()
    return [_mailbox(account) for account in accounts]


def _send_from_problem(session: Session, operator: Operator, action: ProposedAction, send_from: str) -> str | None:
    account = session.get(EmailAccount, send_from)
    mailbox = _mailbox(account) if account is not None and can_access(operator, account.location_id) else None
    return channels.send_from_problem(mailbox, send_from, action.location_id, may(operator, Permission.email_account))


def _detail(session: Session, action: ProposedAction, operator: Operator) -> dict[str, Any]:
    customer, reach = _reach(session, action)
    location = session.get(Location, action.location_id)
    assert location is not None  # enforced by the foreign key
    may_send = may(operator, Permission.email_account)
    senders = [SendFromOption(send_from=LOCATION_DEFAULT, email=location.default_sender_email, available=True,
                              warning=channels.UNTRACKED_REPLIES)]  # fmt: skip
    for mailbox in _mailboxes(session, action.location_id):
        problem = channels.send_from_problem(mailbox, mailbox.id, action.location_id, may_send)
        senders.append(SendFromOption(send_from=mailbox.id, email=mailbox.email, available=problem is None,
                                      warning=problem))  # fmt: skip
    tracked = any(sender.available and sender.send_from != LOCATION_DEFAULT for sender in senders)
    options = []
    if action.channel is Channel.team:  # created for the team, on no channel of a customer's
        senders, options = [], [ChannelOption(channel=Channel.team, available=True, warning=None)]
    for channel in channels.DELIVERABLE if customer is not None else ():
        problem = channels.problem(channel, reach)
        warning = (
            channels.UNTRACKED_REPLIES if channel is Channel.email and not tracked else channels.WARNINGS.get(channel)
        )
        options.append(ChannelOption(channel=channel, available=problem is None, warning=problem or warning))
    return {
        **action.model_dump(),
        "customer": CustomerContext.model_validate(customer, from_attributes=True) if customer else None,
        "channel_options": options,
        "send_from_options": senders,
        "timeline": timeline(session, action.id),
        "conversions": conversions_of(session, action.id),
    }


@router.get("/{action_id}", response_model=InboxDetail)
def get_action(action_id: str, session: SessionDep, operator: CurrentOperator) -> dict[str, Any]:
    """A proposed action with its reason, draft, customer context and timeline."""
    return _detail(session, visible_action(session, operator, action_id), operator)


async def _decide(
    client: Client, session: Session, operator: Operator, action: ProposedAction, update: Any, request: Any
) -> dict[str, Any]:
    # The update can wait seconds for a worker: it must not hold a pooled connection meanwhile, or a burst of
    # decisions drains the pool and every other request waits (read, release, await, read again).
    session.close()
    try:
        await client.get_workflow_handle(action.id).execute_update(update, request)
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type in _DECISION_ERRORS:
            raise HTTPException(_DECISION_ERRORS[cause.type], detail=cause.message) from error
        raise
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        # The workflow has finished (expired, rejected, conversation over): nothing to decide.
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"This proposal is already {action.status}; only pending or snoozed proposals can be decided.",
        ) from error
    return await run_in_threadpool(_detail_of, session, operator, action.id)


def _detail_of(session: Session, operator: Operator, action_id: str) -> dict[str, Any]:
    """A decision's answer, read again after the workflow recorded it (on a thread: it is a dozen queries)."""
    return _detail(session, visible_action(session, operator, action_id), operator)


@router.patch("/{action_id}", response_model=InboxDetail)
async def edit(
    action_id: str, body: EditBody, session: SessionDep, operator: Reviewer, client: ClientDep
) -> dict[str, Any]:
    """Edit the subject, body or call script of a pending or snoozed proposal."""
    action = await run_in_threadpool(visible_action, session, operator, action_id)
    request = DraftEdit(operator_id=operator.id, **body.model_dump())
    return await _decide(client, session, operator, action, OutreachWorkflow.edit_draft, request)


@router.post("/approve-batch", response_model=list[BatchOutcome])
async def approve_batch(body: BatchApproval, session: SessionDep, operator: Reviewer,
                        client: ClientDep) -> list[BatchOutcome]:  # fmt: skip
    """Approve several proposals of one agent as drafted, at most `BATCH_MOST`, each at least `min_confidence`:
    the set is checked whole first (nothing is approved if one does not belong), then each proposal is approved on
    its own, validated as a single approval is; one refused does not stop the others."""
    actions = await run_in_threadpool(_batch, session, operator, body)
    outcomes = []
    for action in actions:
        request = ApproveRequest(operator_id=operator.id, review_notes=body.review_notes)
        try:
            decided = await _decide(client, session, operator, action, OutreachWorkflow.approve, request)
        except HTTPException as refused:
            now = await run_in_threadpool(visible_action, session, operator, action.id)
            outcomes.append(BatchOutcome(action_id=action.id, approved=False, status=now.status,
                                         detail=str(refused.detail)))  # fmt: skip
            continue
        outcomes.append(BatchOutcome(action_id=action.id, approved=True, status=decided["status"], detail=None))
    return outcomes


def _batch(session: Session, operator: Operator, body: BatchApproval) -> list[ProposedAction]:
    """The batch's proposals, if they belong together: the operator's, one agent's, waiting, confident enough."""
    if len(set(body.action_ids)) != len(body.action_ids):
        raise HTTPException(422, detail="action_ids: a proposal is named twice; name each once.")
    actions = [visible_action(session, operator, action_id) for action_id in body.action_ids]
    agents = sorted({action.agent_type.value for action in actions})
    if len(agents) > 1:
        raise HTTPException(422, detail=f"A batch is one agent's proposals; these are of {', '.join(agents)}: "
                            "approve each agent's apart.")  # fmt: skip
    waiting = (ActionStatus.pending, ActionStatus.snoozed)
    decided = [f"{action.id} ({action.status.value})" for action in actions if action.status not in waiting]
    if decided:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"Only pending or snoozed proposals can be approved; "
                            f"not {', '.join(decided)}. Nothing was approved.")  # fmt: skip
    unsure = [f"{action.id} ({action.confidence}%)" for action in actions if action.confidence < body.min_confidence]
    if unsure:
        raise HTTPException(422, detail=f"Every proposal of a batch is at least {body.min_confidence}% confident; not "
                            f"{', '.join(unsure)}: review those one by one. Nothing was approved.")  # fmt: skip
    return actions


@router.post("/{action_id}/approve", response_model=InboxDetail)
async def approve(
    action_id: str, body: ApproveBody, session: SessionDep, operator: Reviewer, client: ClientDep
) -> dict[str, Any]:
    """Approve for delivery, optionally with edits (channel, subject, body_html)."""
    action = await run_in_threadpool(_approvable, session, operator, action_id, body)
    request = ApproveRequest(operator_id=operator.id, **body.model_dump())
    return await _decide(client, session, operator, action, OutreachWorkflow.approve, request)


def _approvable(session: Session, operator: Operator, action_id: str, body: ApproveBody) -> ProposedAction:
    """The proposal, if the approval's own choices are possible (the workflow judges the rest)."""
    action = visible_action(session, operator, action_id)
    if body.channel is not None and body.channel not in set(Channel):
        # Not a channel at all: say which ones this proposal can use (the workflow judges the known ones).
        raise HTTPException(422, detail=channels.refusal(body.channel, _reach(session, action)[1]))
    channel = body.channel or action.channel
    problem = None
    if channel == Channel.email and body.send_from:
        problem = _send_from_problem(session, operator, action, body.send_from)
    elif channel == Channel.helpdesk and body.department_id:
        problem = department_problem(session, body.department_id, action.location_id)
    if problem:
        raise HTTPException(422, detail=problem)
    return action


@router.post("/{action_id}/preview", response_model=DeliveryPreview)
def preview(action_id: str, body: ApproveBody, session: SessionDep, operator: CurrentOperator) -> DeliveryPreview:
    """What approving with these choices and edits would deliver, and what they change of the draft; nothing is
    decided or saved."""
    action = visible_action(session, operator, action_id)
    location = session.get(Location, action.location_id)
    assert location is not None  # enforced by the foreign key
    customer, reach = _reach(session, action)
    if body.channel is not None and body.channel not in set(Channel):
        raise HTTPException(422, detail=channels.refusal(body.channel, reach))
    channel = Channel(body.channel) if body.channel else action.channel
    subject, html = body.subject or action.subject, body.body_html or action.body_html
    script = body.voice_script or action.voice_script
    filled = variables.values(customer.name if customer else "", location.name, action.facts)
    for text in (subject, html, script):
        if problem := variables.problems(text, filled):
            raise HTTPException(422, detail=problem)
    body_html = sanitize_html(variables.resolve(html, filled, html=True))
    spoken, links = spoken_and_links(variables.resolve(script, filled, html=False)) if channel is Channel.voice else (
        None, [])  # fmt: skip
    resolved = variables.resolve(subject, filled, html=False)
    told = notification(NUMBER_TO_COME, resolved, body_html) if channel is Channel.helpdesk else (None, None)
    return DeliveryPreview(
        channel=channel, sender=_sender(session, location, channel, body.send_from),
        recipient=_recipient(customer, channel), subject=resolved, body_html=body_html,
        body_text=html_to_text(body_html), spoken=spoken, texted_links=links, notification_subject=told[0],
        notification_html=told[1], changes=_changes(_lines(**_drafted(action)), _lines(subject, html, script)),
    )  # fmt: skip


def _sender(session: Session, location: Location, channel: Channel, send_from: str | None) -> str | None:
    """Who the customer sees it from: the AI's address, the chosen mailbox, the location calling."""
    if channel is Channel.team:
        return None
    if channel is Channel.voice or channel is Channel.sms:
        return location.name
    account = session.get(EmailAccount, send_from) if channel is Channel.email and send_from else None
    if account is not None and account.location_id == location.id:
        return f"{account.display_name or location.default_sender_name} <{account.email}>"
    sender = location.default_sender_email if channel is Channel.email else (
        location.ai_sender_email or location.default_sender_email)  # fmt: skip
    return f"{location.default_sender_name} <{sender}>"


def _recipient(customer: Customer | None, channel: Channel) -> str | None:
    if customer is None:
        return None
    return customer.mobile_phone if channel in (Channel.voice, Channel.sms) else customer.email


# Lines of a draft compared at most: a diff is quadratic in the worst case, and a draft is a few paragraphs.
CHANGES_LINES = 400


def _lines(subject: str, body_html: str, voice_script: str) -> list[str]:
    """A draft as lines of text to compare: its subject, its message's lines, its call script's."""
    lines = [subject, *html_to_text(sanitize_html(body_html)).splitlines(), *voice_script.splitlines()]
    return [line.strip() for line in lines if line.strip()][:CHANGES_LINES]


def _drafted(action: ProposedAction) -> dict[str, str]:
    """The draft as the AI composed it (or, proposed before that was kept, as it is now)."""
    now = {"subject": action.subject, "body_html": action.body_html, "voice_script": action.voice_script}
    return {**now, **(action.drafted or {})}


def _changes(drafted: list[str], approving: list[str]) -> list[str]:
    """The lines the edits take out and put in, in order ("- …", "+ …")."""
    diff = difflib.unified_diff(drafted, approving, lineterm="", n=0)
    return [line[0] + " " + line[1:] for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


@router.post("/{action_id}/reject", response_model=InboxDetail)
async def reject(
    action_id: str, body: RejectBody, session: SessionDep, operator: Reviewer, client: ClientDep
) -> dict[str, Any]:
    """Reject: nothing is sent."""
    action = await run_in_threadpool(visible_action, session, operator, action_id)
    request = RejectRequest(operator_id=operator.id, reason=body.reason)
    return await _decide(client, session, operator, action, OutreachWorkflow.reject, request)


@router.post("/{action_id}/snooze", response_model=InboxDetail)
async def snooze(
    action_id: str, body: SnoozeBody, session: SessionDep, operator: Reviewer, client: ClientDep
) -> dict[str, Any]:
    """Hide until a time; the proposal then returns to the inbox."""
    action = await run_in_threadpool(visible_action, session, operator, action_id)
    request = SnoozeRequest(operator_id=operator.id, until=body.until)
    return await _decide(client, session, operator, action, OutreachWorkflow.snooze, request)
