"""Detection: one SQL query per agent type over indexed columns, paged by a stable cursor; the
safeguards that decide which candidates become proposals; and the activity that starts outreaches.

Detection and the dry-run preview walk the very same pages through the very same safeguards, so a
preview's counts are what a run then does.
"""

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, case, exists, func, literal, or_, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select
from temporalio import activity
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from models.contacts import international_phone
from models.content import format_money
from models.db import session_scope
from models.messages import (
    UNDELIVERED,
    ActionStatus,
    AgentPolicy,
    AgentPreview,
    AgentType,
    FindPatternsRequest,
    OutreachInput,
    Pattern,
    PatternPage,
    Priority,
    SendCheck,
    SendVerdict,
    SkipCounts,
    StartedOutreaches,
    StartOutreaches,
)
from models.tables import (
    AgentConfig,
    Booking,
    Contract,
    Customer,
    Invoice,
    LeadInquiry,
    Location,
    Plan,
    ProposedAction,
)
from workflows import search_attributes as sa
from workflows.ids import outreach_id

# How long after delivery a reply still opens a conversation, and how long a conversation may
# sit idle before it is closed.
REPLY_WINDOW = timedelta(days=14)
CONVERSATION_IDLE = timedelta(days=7)
# However often a proposal is snoozed, it expires this long after it was proposed.
SNOOZE_CAP = timedelta(days=14)
# A preview lists this many candidates (its counts cover all of them).
PREVIEW_LIMIT = 100
PAGE_SIZE = 200


@dataclass(frozen=True)
class Scan:
    """What a detector needs to know about one run."""

    location: Location
    policy: AgentPolicy
    as_of: datetime
    today: date  # in the location's time zone


# Rows of (situation, customer).
Candidates = Select[Any, Customer]

# --- detectors -------------------------------------------------------------------------------
# Each detector is a base query of (situation row, customer) whose situation matches the agent's
# threshold, ordered by (customer, situation) so one customer's situations sit together, plus
# the function that turns a row into a pattern and the check that the situation still holds.


def _due_invoices(scan: Scan) -> Candidates:
    cutoff = scan.today - timedelta(days=scan.policy.threshold_days)
    return (
        select(Invoice, Customer)
        .join(Customer, col(Customer.id) == col(Invoice.customer_id))
        .where(
            col(Invoice.location_id) == scan.location.id,
            col(Invoice.paid_at).is_(None),
            col(Invoice.due_date) <= cutoff,
        )
    )


def _due_invoice_pattern(scan: Scan, invoice: Invoice, customer: Customer, _session: Session) -> Pattern:
    amount = format_money(invoice.amount_cents, invoice.currency)
    days = (scan.today - invoice.due_date).days
    priority = Priority.normal
    if days >= 60:
        priority = Priority.critical
    elif days >= 30 or invoice.amount_cents >= 100_000:
        priority = Priority.high
    return _pattern(
        scan,
        customer,
        dedup_key=f"{AgentType.due_invoice}:{invoice.number}",
        reason=f"Invoice {invoice.number} for {amount} is {days} days overdue (due {invoice.due_date.isoformat()}).",
        priority=priority,
        facts={
            "invoice_id": invoice.id,
            "invoice_number": invoice.number,
            "invoice_amount": amount,
            "amount_cents": invoice.amount_cents,
            "currency": invoice.currency,
            "due_date": invoice.due_date.isoformat(),
            "days_overdue": days,
            "payment_link": invoice.payment_link,
        },
    )


def _invoice_resolved(session: Session, pattern: Pattern) -> str | None:
    invoice = session.get(Invoice, str(pattern.facts["invoice_id"]))
    if invoice is not None and invoice.paid_at is not None:
        return f"Invoice {invoice.number} has been paid."
    return None


def _expiring_contracts(scan: Scan) -> Candidates:
    horizon = scan.today + timedelta(days=scan.policy.threshold_days)
    return (
        select(Contract, Customer)
        .join(Customer, col(Customer.id) == col(Contract.customer_id))
        .where(
            col(Contract.location_id) == scan.location.id,
            col(Contract.ends_on) >= scan.today,
            col(Contract.ends_on) <= horizon,
            col(Contract.renewed).is_(False),
            col(Contract.cancelled).is_(False),
        )
    )


def _contract_pattern(scan: Scan, contract: Contract, customer: Customer, session: Session) -> Pattern:
    plan = session.get(Plan, contract.plan_id)
    days = (contract.ends_on - scan.today).days
    priority = Priority.critical if days <= 7 else Priority.high if days <= 14 else Priority.normal
    plan_name = plan.name if plan else "membership"
    return _pattern(
        scan,
        customer,
        dedup_key=f"{AgentType.contract_renewal}:{contract.id}",
        reason=f"The {plan_name} contract ends in {days} days ({contract.ends_on.isoformat()}) "
        "and is neither renewed nor cancelled.",
        priority=priority,
        facts={
            "contract_id": contract.id,
            "plan_name": plan_name,
            "monthly_price": format_money(plan.monthly_price_cents, scan.location.currency) if plan else "",
            "end_date": contract.ends_on.isoformat(),
            "days_left": days,
            "renewal_link": f"{scan.location.portal_url}/renew/{contract.id}",
        },
    )


def _contract_resolved(session: Session, pattern: Pattern) -> str | None:
    contract = session.get(Contract, str(pattern.facts["contract_id"]))
    if contract is not None and contract.renewed:
        return "The contract has been renewed."
    if contract is not None and contract.cancelled:
        return "The contract has been cancelled."
    return None


def _has_booked(customer_id: Any) -> Any:
    return exists().where(col(Booking.customer_id) == customer_id)


def _stale_leads(scan: Scan) -> Candidates:
    cutoff = scan.as_of - timedelta(days=scan.policy.threshold_days)
    return (
        select(LeadInquiry, Customer)
        .join(Customer, col(Customer.id) == col(LeadInquiry.customer_id))
        .where(
            col(LeadInquiry.location_id) == scan.location.id,
            col(LeadInquiry.inquired_at) <= cutoff,
            col(LeadInquiry.followed_up_at).is_(None),
            col(LeadInquiry.converted).is_(False),
            ~_has_booked(Customer.id),
        )
    )


def _lead_pattern(scan: Scan, inquiry: LeadInquiry, customer: Customer, _session: Session) -> Pattern:
    days = (scan.as_of - inquiry.inquired_at).days
    return _pattern(
        scan,
        customer,
        dedup_key=f"{AgentType.lead_follow_up}:{inquiry.id}",
        reason=f"Inquired {days} days ago and was never followed up, booked or converted.",
        priority=Priority.high if days <= 14 else Priority.normal,
        facts={
            "inquiry_id": inquiry.id,
            "inquiry_date": inquiry.inquired_at.astimezone(ZoneInfo(scan.location.time_zone)).date().isoformat(),
            "inquiry_message": inquiry.message,
            "days_since_inquiry": days,
            "tour_link": f"{scan.location.portal_url}/tour",
        },
    )


def _lead_resolved(session: Session, pattern: Pattern) -> str | None:
    inquiry = session.get(LeadInquiry, str(pattern.facts["inquiry_id"]))
    if inquiry is not None and (inquiry.followed_up_at is not None or inquiry.converted):
        return "The lead has been followed up."
    if session.exec(select(_has_booked(pattern.customer_id))).one():
        return "The lead has made a booking."
    return None


def _members_without_booking(scan: Scan) -> Candidates:
    cutoff = scan.today - timedelta(days=scan.policy.threshold_days)
    return select(Customer, Customer).where(
        col(Customer.location_id) == scan.location.id,
        col(Customer.kind) == "member",
        col(Customer.joined_on) <= cutoff,
        ~_has_booked(Customer.id),
    )


def _first_booking_pattern(scan: Scan, member: Customer, customer: Customer, _session: Session) -> Pattern:
    assert member.joined_on is not None
    days = (scan.today - member.joined_on).days
    return _pattern(
        scan,
        customer,
        dedup_key=f"{AgentType.first_booking}:{member.id}",
        reason=f"Joined {days} days ago ({member.joined_on.isoformat()}) and has not made a booking yet.",
        priority=Priority.low,
        facts={
            "join_date": member.joined_on.isoformat(),
            "days_since_joining": days,
            "booking_link": f"{scan.location.portal_url}/book",
        },
    )


def _booking_resolved(session: Session, pattern: Pattern) -> str | None:
    if session.exec(select(_has_booked(pattern.customer_id))).one():
        return "The member has made a booking."
    return None


@dataclass(frozen=True)
class Detector:
    source: Callable[[Scan], Candidates]  # rows of (situation, customer) matching the threshold
    key: Any  # the situation's id column: with the customer id, the stable sort and page key
    dedup_key: Any  # SQL expression of the pattern's dedup key
    pattern: Callable[[Scan, Any, Customer, Session], Pattern]
    resolved: Callable[[Session, Pattern], str | None]

    def candidates(self, scan: Scan) -> Candidates:
        """Candidates a proposal may be made for: not opted out, never proposed."""
        return self.source(scan).where(col(Customer.opted_out).is_(False), ~self.proposed(scan))

    def proposed(self, scan: Scan) -> Any:
        """A proposal for this situation exists, even one whose workflow is long gone."""
        return exists().where(
            col(ProposedAction.location_id) == scan.location.id, col(ProposedAction.dedup_key) == self.dedup_key
        )


def _dedup(agent_type: AgentType, column: Any) -> Any:
    return literal(f"{agent_type.value}:") + column


DETECTORS: dict[AgentType, Detector] = {
    AgentType.due_invoice: Detector(
        _due_invoices,
        col(Invoice.id),
        _dedup(AgentType.due_invoice, col(Invoice.number)),
        _due_invoice_pattern,
        _invoice_resolved,
    ),
    AgentType.contract_renewal: Detector(
        _expiring_contracts,
        col(Contract.id),
        _dedup(AgentType.contract_renewal, col(Contract.id)),
        _contract_pattern,
        _contract_resolved,
    ),
    AgentType.lead_follow_up: Detector(
        _stale_leads,
        col(LeadInquiry.id),
        _dedup(AgentType.lead_follow_up, col(LeadInquiry.id)),
        _lead_pattern,
        _lead_resolved,
    ),
    AgentType.first_booking: Detector(
        _members_without_booking,
        col(Customer.id),
        _dedup(AgentType.first_booking, col(Customer.id)),
        _first_booking_pattern,
        _booking_resolved,
    ),
}


def _pattern(
    scan: Scan, customer: Customer, *, dedup_key: str, reason: str, priority: Priority, facts: dict[str, str | int]
) -> Pattern:
    return Pattern(
        location_id=scan.location.id,
        agent_type=scan.policy.agent_type,
        dedup_key=dedup_key,
        customer_id=customer.id,
        customer_name=customer.name,
        reason=reason,
        facts=facts,
        priority=priority,
        customer_email=customer.email,
        customer_mobile=customer.mobile_phone,
        customer_mobile_valid=international_phone(customer.mobile_phone) is not None,
    )


# --- confidence ------------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """What we know of the customers on one page, gathered in a few queries."""

    last_contact_by_agent: dict[str, datetime]
    last_contact: dict[str, datetime]
    open_by_agent: set[str]


def score(pattern: Pattern, customer: Customer, history: History, scan: Scan) -> tuple[int, list[str]]:
    """How sure we are this proposal is right to send, 0-100, with the reasons that produced it."""
    points = 40
    reasons = ["40 base"]

    def add(delta: int, why: str) -> None:
        nonlocal points
        points += delta
        reasons.append(f"{delta:+d} {why}")

    if customer.email:
        add(20, "email address on file")
    else:
        add(-20, "no email address")
    if customer.mobile_phone:
        add(5, "mobile number on file")
    if len(customer.name.split()) >= 2:
        add(10, "full name known")
    if all(value not in ("", None) for value in pattern.facts.values()):
        add(10, "all facts of the situation known")
    if customer.joined_on is not None and (scan.today - customer.joined_on).days >= 90:
        add(10, "established customer (90+ days)")
    last = history.last_contact.get(customer.id)
    if last is not None and scan.as_of - last < timedelta(days=30):
        add(-15, "contacted in the last 30 days")
    age = next(
        (int(pattern.facts[key]) for key in ("days_overdue", "days_since_inquiry") if key in pattern.facts), None
    )
    if age is not None and age > 90:
        add(-20, f"situation is {age} days old; a person may know more")
    elif age is not None:
        add(5, "recent situation")
    return max(0, min(100, points)), reasons


# --- safeguards ------------------------------------------------------------------------------


def _last_contacts(
    session: Session, customer_ids: Sequence[str], agent_type: AgentType, *conditions: Any
) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """When each customer was last contacted by this agent, and by any: the latest outreach claimed for
    delivery (see `check_and_claim`), so detection and the check before send mean the same thing."""
    claimed = col(ProposedAction.delivery_claimed_at)
    rows = session.exec(
        select(
            ProposedAction.customer_id,
            func.max(case((col(ProposedAction.agent_type) == agent_type, claimed))),
            func.max(claimed),
        )
        .where(
            col(ProposedAction.customer_id).in_(customer_ids),
            claimed.is_not(None),
            col(ProposedAction.status) != ActionStatus.failed,
            *conditions,
        )
        .group_by(col(ProposedAction.customer_id))
    ).all()
    by_agent = {customer_id: at for customer_id, at, _ in rows if at is not None}
    return by_agent, {customer_id: at for customer_id, _, at in rows if at is not None}


def _history(session: Session, customer_ids: Sequence[str], agent_type: AgentType) -> History:
    open_ones = session.exec(
        select(ProposedAction.customer_id).where(
            col(ProposedAction.customer_id).in_(customer_ids),
            col(ProposedAction.agent_type) == agent_type,
            col(ProposedAction.status).in_(UNDELIVERED),
        )
    ).all()
    by_agent, anyone = _last_contacts(session, customer_ids, agent_type)
    return History(last_contact_by_agent=by_agent, last_contact=anyone, open_by_agent=set(open_ones))


def _local_day_start(scan: Scan) -> datetime:
    return datetime.combine(scan.today, time(0), ZoneInfo(scan.location.time_zone))


def proposed_today_before(session: Session, scan: Scan) -> int:
    """Proposals this agent made at this location earlier today (local day), before this run."""
    return session.exec(
        select(func.count())
        .select_from(ProposedAction)
        .where(
            col(ProposedAction.location_id) == scan.location.id,
            col(ProposedAction.agent_type) == scan.policy.agent_type,
            col(ProposedAction.created_at) >= _local_day_start(scan),
            col(ProposedAction.created_at) < scan.as_of,
        )
    ).one()


def claimed_today(session: Session, location: Location, agent_type: AgentType, check: SendCheck) -> int:
    """Other outreaches of this agent at this location claimed for delivery on the location's local day."""
    zone = ZoneInfo(location.time_zone)
    day_start = datetime.combine(check.at.astimezone(zone).date(), time(0), zone)
    return session.exec(
        select(func.count())
        .select_from(ProposedAction)
        .where(
            col(ProposedAction.location_id) == location.id,
            col(ProposedAction.agent_type) == agent_type,
            col(ProposedAction.delivery_claimed_at) >= day_start,
            col(ProposedAction.id) != check.action_id,
            col(ProposedAction.status) != ActionStatus.failed,  # nothing went out
        )
    ).one()


def lock_location_sends(session: Session, location_id: str) -> None:
    """Serialize delivery claims at one location until the transaction ends. A write is the one lock both
    databases honour: PostgreSQL locks the row, SQLite takes its write lock before anything is read."""
    session.execute(update(Location).where(col(Location.id) == location_id).values(name=Location.name))


def _cursor(customer_id: str, key: str, taken: bool) -> str:
    return json.dumps([customer_id, key, taken])


def scan_page(session: Session, scan: Scan, after: str | None, limit: int, started_this_run: int) -> PatternPage:
    """One page of candidates through every safeguard: the shared core of detection and preview.

    Opted-out customers and situations proposed before are filtered in SQL (and counted); cooldown,
    the minimum gap, one proposal per customer per run and the daily maximum are applied here.
    """
    detector = DETECTORS[scan.policy.agent_type]
    rows_query = detector.candidates(scan).order_by(col(Customer.id), detector.key).limit(limit)
    last_customer, last_key, last_taken = json.loads(after) if after else (None, None, False)
    if last_customer is not None:
        rows_query = rows_query.where(
            or_(col(Customer.id) > last_customer, (col(Customer.id) == last_customer) & (detector.key > last_key))
        )
    rows = session.exec(rows_query).all()
    history = _history(session, sorted({row[1].id for row in rows}), scan.policy.agent_type)
    remaining = scan.policy.daily_max - proposed_today_before(session, scan) - started_this_run
    skipped = SkipCounts()
    patterns: list[Pattern] = []
    taken = last_taken
    for situation, customer in rows:
        taken = taken and customer.id == last_customer
        last_customer, last_key = customer.id, situation.id
        by_agent = history.last_contact_by_agent.get(customer.id)
        anyone = history.last_contact.get(customer.id)
        if (
            taken  # one proposal per customer and agent per run; the rest wait for the cooldown
            or customer.id in history.open_by_agent
            or (by_agent is not None and scan.as_of - by_agent < scan.policy.cooldown)
            or (anyone is not None and scan.as_of - anyone < scan.policy.min_gap)
        ):
            skipped.cooldown += 1
            continue
        if len(patterns) >= remaining:
            skipped.daily_cap += 1
            continue
        pattern = detector.pattern(scan, situation, customer, session)
        confidence, reasons = score(pattern, customer, history, scan)
        patterns.append(pattern.model_copy(update={"confidence": confidence, "confidence_reasons": reasons}))
        taken = True
    next_cursor = None
    if len(rows) == limit and last_customer is not None and last_key is not None:
        next_cursor = _cursor(last_customer, last_key, taken)
    return PatternPage(patterns=patterns, next_cursor=next_cursor, skipped=skipped)


def filtered_out(session: Session, scan: Scan) -> SkipCounts:
    """Candidates the SQL filters held back: opted-out customers and situations proposed before."""
    detector = DETECTORS[scan.policy.agent_type]

    def count(query: Candidates) -> int:
        return session.exec(select(func.count()).select_from(query.subquery())).one()

    opted_out = detector.source(scan).where(col(Customer.opted_out).is_(True))
    proposed = detector.source(scan).where(col(Customer.opted_out).is_(False), detector.proposed(scan))
    return SkipCounts(opted_out=count(opted_out), dedup=count(proposed))


def agent_policy(config: AgentConfig, location: Location) -> AgentPolicy:
    return AgentPolicy(
        agent_type=config.agent_type,
        threshold_days=config.threshold_days,
        channel=config.default_channel,
        expiry=timedelta(hours=config.expiry_hours),
        snooze_cap=SNOOZE_CAP,
        reply_window=REPLY_WINDOW,
        conversation_idle=CONVERSATION_IDLE,
        cooldown=timedelta(days=config.cooldown_days),
        min_gap=timedelta(hours=location.customer_min_gap_hours),
        daily_max=config.daily_max,
        auto_execute=config.auto_execute,
        confidence_threshold=config.confidence_threshold,
        enforce_business_hours=config.enforce_business_hours,
        voice_enabled=location.voice_enabled,
        custom_instructions=config.custom_instructions,
    )


def start_scan(session: Session, location_id: str, policy: AgentPolicy, as_of: datetime) -> Scan | None:
    location = session.get(Location, location_id)
    if location is None:
        return None
    return Scan(location, policy, as_of, as_of.astimezone(ZoneInfo(location.time_zone)).date())


def preview(session: Session, location: Location, config: AgentConfig, as_of: datetime) -> AgentPreview:
    """What the agent would propose if detection ran now: nothing is written, nothing started."""
    scan = Scan(location, agent_policy(config, location), as_of, as_of.astimezone(ZoneInfo(location.time_zone)).date())
    skipped = filtered_out(session, scan)
    candidates: list[Pattern] = []
    would_propose = 0
    cursor: str | None = None
    while True:
        page = scan_page(session, scan, cursor, PAGE_SIZE, would_propose)
        would_propose += len(page.patterns)
        candidates.extend(page.patterns[: PREVIEW_LIMIT - len(candidates)])
        skipped += page.skipped
        cursor = page.next_cursor
        if cursor is None:
            break
    return AgentPreview(
        agent_type=config.agent_type,
        location_id=location.id,
        would_propose=would_propose,
        candidates=candidates,
        skipped=skipped,
    )


def check_and_claim(engine: Engine, check: SendCheck) -> SendVerdict:
    """Re-check, right before delivery, everything that may have changed since the proposal — opt-out,
    the situation itself (paid, renewed, booked), cooldown, minimum gap, daily maximum — and claim the
    delivery in the same transaction, serialized per location: of two outreaches racing for the last slot
    of the day, or for one customer, only one goes out. A retry finds its own claim."""
    with session_scope(engine) as session:
        lock_location_sends(session, check.pattern.location_id)
        verdict = _verdict(session, check)
        if verdict.cancel_reason is None:
            action = session.get(ProposedAction, check.action_id)
            if action is None:
                raise ApplicationError(f"Proposal {check.action_id} is not recorded.", non_retryable=True)
            action.delivery_claimed_at = action.delivery_claimed_at or check.at
            session.add(action)
    return verdict


def _verdict(session: Session, check: SendCheck) -> SendVerdict:
    pattern, policy = check.pattern, check.policy
    customer = session.get(Customer, pattern.customer_id)
    location = session.get(Location, pattern.location_id)
    if customer is None or location is None or customer.opted_out:
        return SendVerdict(cancel_reason="The customer opted out of outreach.")
    resolved = DETECTORS[pattern.agent_type].resolved(session, pattern)
    if resolved:
        return SendVerdict(cancel_reason=resolved)
    # A retried check must not see its own claim.
    by_agent, anyone = _last_contacts(
        session, [customer.id], pattern.agent_type, col(ProposedAction.id) != check.action_id
    )

    def local(at: datetime) -> str:
        return at.astimezone(ZoneInfo(location.time_zone)).strftime("%Y-%m-%d %H:%M")

    if (last := by_agent.get(customer.id)) is not None and check.at - last < policy.cooldown:
        return SendVerdict(
            cancel_reason=f"This agent already reached the customer on {local(last)}, "
            f"within its {policy.cooldown.days}-day cooldown."
        )
    if (last := anyone.get(customer.id)) is not None and check.at - last < policy.min_gap:
        hours = int(policy.min_gap.total_seconds() // 3600)
        return SendVerdict(
            cancel_reason=f"The customer was contacted on {local(last)}, within the {hours}-hour minimum gap."
        )
    if claimed_today(session, location, pattern.agent_type, check) >= policy.daily_max:
        return SendVerdict(
            cancel_reason=f"Today's maximum of {policy.daily_max} {pattern.agent_type.value} deliveries "
            f"at {location.name} is reached."
        )
    return SendVerdict()


class DetectionActivities:
    def __init__(self, engine: Engine, client: Client, outreach_task_queue: str | None = None) -> None:
        self._engine = engine
        self._client = client
        # None: outreaches run on the task queue detection runs on.
        self._outreach_task_queue = outreach_task_queue

    @activity.defn
    def load_agent_policies(self, location_id: str) -> list[AgentPolicy]:
        """The enabled agents of a location, in a stable order."""
        with Session(self._engine) as session:
            location = session.get(Location, location_id)
            if location is None:
                return []
            configs = session.exec(
                select(AgentConfig)
                .where(col(AgentConfig.location_id) == location_id, col(AgentConfig.enabled).is_(True))
                .order_by(col(AgentConfig.agent_type))
            ).all()
            return [agent_policy(config, location) for config in configs]

    @activity.defn
    def find_patterns(self, request: FindPatternsRequest) -> PatternPage:
        """One page of new patterns for one agent at one location, as of the detection run's time."""
        with Session(self._engine) as session:
            scan = start_scan(session, request.location_id, request.policy, request.as_of)
            if scan is None:
                return PatternPage(patterns=[], next_cursor=None)
            page = scan_page(session, scan, request.after, request.limit, request.started_this_run)
            if request.after is None:  # count the SQL-filtered candidates once per agent and run
                page.skipped += filtered_out(session, scan)
            return page

    @activity.defn
    def check_before_send(self, check: SendCheck) -> SendVerdict:
        """Re-check every safeguard right before delivery and claim the delivery (see `check_and_claim`)."""
        return check_and_claim(self._engine, check)

    @activity.defn
    async def start_outreaches(self, batch: StartOutreaches) -> StartedOutreaches:
        """Start one OutreachWorkflow per pattern; a workflow that already exists counts as existing.

        The deterministic workflow id plus REJECT_DUPLICATE makes a retried activity or a re-run
        of detection start nothing twice.
        """
        from workflows.outreach import OutreachWorkflow

        task_queue = self._outreach_task_queue or activity.info().task_queue

        async def start(pattern: Pattern) -> bool:
            try:
                await self._client.start_workflow(
                    OutreachWorkflow.run,
                    OutreachInput(pattern=pattern, policy=batch.policy),
                    id=outreach_id(pattern),
                    task_queue=task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    search_attributes=TypedSearchAttributes(
                        [
                            SearchAttributePair(sa.AGENT_TYPE, pattern.agent_type.value),
                            SearchAttributePair(sa.LOCATION_ID, pattern.location_id),
                            SearchAttributePair(sa.CUSTOMER_ID, pattern.customer_id),
                            SearchAttributePair(sa.CHANNEL, batch.policy.channel.value),
                        ]
                    ),
                    static_summary=pattern.reason,
                )
                return True
            except WorkflowAlreadyStartedError:
                return False

        # One page at a time, concurrently: a page is small enough to be a sensible burst.
        results = await asyncio.gather(*(start(pattern) for pattern in batch.patterns))
        started = sum(results)
        existing = len(results) - started
        return StartedOutreaches(started=started, existing=existing)
