"""What an agent type is made of, and the pieces agent types share.

An agent type is one module of this package: the SQL that finds its situations, the pattern it makes of one
(reason, priority, facts), the check that the situation is still there, what marks it followed up once a
delivery went out, and what the offline composer and conversation engine say about it. A team agent's module
finds work for the team instead (an FAQ article to publish): its draft, and what approving it creates.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import Any

from sqlalchemy import exists, func, literal, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from domain.contacts import international_phone
from domain.content import html_to_text
from domain.dates import mentioned_day
from domain.places import named_location
from models.messages import (
    AgentCategory,
    AgentPolicy,
    AgentType,
    Channel,
    Draft,
    Pattern,
    Priority,
    Sender,
    SendVerdict,
    TicketStatus,
    ToolRequest,
    ToolStep,
    TurnOutcome,
)
from models.tables import Booking, CheckIn, Contract, Customer, Location, ProposedAction, Ticket
from providers.helpdesk import add_comment, ticket_number

# Texts grouped by meaning, leaving out those alike a known text: each group's indexes, its most central first.
Grouping = Callable[[list[str], list[str]], list[list[int]]]


@dataclass(frozen=True)
class Scan:
    """What a detector needs to know about one run."""

    location: Location
    policy: AgentPolicy
    as_of: datetime
    today: date  # in the location's time zone
    # How a team agent groups what customers asked (the conversation's own reading of meaning, handed down).
    by_meaning: Grouping | None = None


# Rows of (situation, customer).
Candidates = Select[Any, Customer]


@dataclass(frozen=True)
class ComposeContext:
    """What the composer and the conversation engine know: the location's voice, the customer, the facts."""

    location_name: str
    persona_tone: str
    signature: str
    customer_name: str
    earlier_late_payments: int
    facts: dict[str, str | int]
    personality: str = ""
    language: str = "en"
    today: date | None = None  # the location's own date, for the days customers name ("next Tuesday")
    other_locations: tuple[tuple[str, str], ...] = ()  # the operator's other locations: name, address
    signed: bool = True  # an email ends with the signature; a chat message or a call does not

    @property
    def first_name(self) -> str:
        return self.customer_name.split()[0] if self.customer_name.strip() else "there"

    @property
    def friendly(self) -> bool:
        return self.persona_tone in ("warm", "friendly", "casual")

    def fact(self, key: str) -> str:
        """A fact of the situation, HTML-escaped for an email body."""
        return escape(str(self.facts[key]), quote=True)


@dataclass(frozen=True)
class Wording:
    """What one agent says offline: the email's subject and middle paragraphs, its link, and the call script."""

    subject: str
    paragraphs: list[str]
    link_text: str
    voice: str


@dataclass(frozen=True)
class Intent:
    """Something a customer may say in reply to this agent's outreach, and what the offline engine does. `name` is
    what the conversation's understanding calls it (the intents of `conversation/examples.jsonl`). `lines` None:
    the engine's own words for the outcome. An intent that `uses` tools has them run first, and its answer is
    written from their results (`answered`)."""

    outcome: TurnOutcome
    name: str
    summary: str
    lines: Callable[[ComposeContext], list[str]] | None = None
    # The next tools to use, given the message and what the tools found so far (none left: answer).
    uses: Callable[[ComposeContext, str, list[ToolStep]], list[ToolRequest]] | None = None
    answered: Callable[[ComposeContext, list[ToolStep]], list[str]] | None = None
    # A day or a time asked naming no desk, room or office means this intent after this outreach: in reply to a
    # tour's outreach, "can I come Friday at 11 instead?" is about the tour.
    times_mean_this: bool = False


@dataclass(frozen=True)
class Agent:
    type: AgentType
    # What it watches for, in a sentence with the threshold as N ("an invoice still unpaid N days after ..."): the
    # operator reads it in the app and `GET /api/agents`.
    description: str
    threshold_days: int  # N when a location is set up
    source: Callable[[Scan], Candidates]  # rows of (situation, customer) matching the threshold
    key: Any  # the situation's id column: with the customer id, the stable sort and page key
    dedup_key: Callable[[Scan], Any]  # SQL expression of the pattern's dedup key in a scan
    pattern: Callable[[Scan, Any, Customer, Session], Pattern]
    # Why the situation is gone (paid, renewed, booked, a tour already begun) at a moment, or None while it is
    # still there.
    resolved: Callable[[Session, ProposedAction, datetime], str | None]
    link_fact: str  # the fact holding the link every email of this agent carries
    wording: Callable[[ComposeContext], Wording]
    # One sentence (HTML) that reminds the customer what this is about, ahead of the link.
    recap: Callable[[ComposeContext], str]
    intents: tuple[Intent, ...] = ()
    # The intent that answers a link of ours that no longer works with one made afresh (an invoice's lookup, with
    # its payment link); None: the link again.
    fresh_link: str | None = None
    category: AgentCategory = AgentCategory.customer
    channel: Channel = Channel.ai_email  # what it proposes on when a location is set up
    # Whether its proposals may be sent without review at all (auto-execute): a reminder of a fact may, a proposal
    # that needs judgement may not, whatever the confidence.
    auto_execute_safe: bool = False
    # Why the outreach waits, and until when, at a moment: the agent's own rule before a send (a payment the
    # customer reported, on its way).
    waiting: Callable[[Session, ProposedAction, datetime], SendVerdict | None] | None = None
    # Marks the situation followed up once the outreach was delivered (facts, delivery time).
    delivered: Callable[[Session, dict[str, Any], datetime], None] | None = None

    def link_html(self, context: ComposeContext, wording: Wording | None = None) -> str:
        """The link every message of this agent carries, in its words."""
        said = wording or self.wording(context)
        return f'<a href="{context.fact(self.link_fact)}">{said.link_text}</a>'

    def candidates(self, scan: Scan) -> Candidates:
        """Candidates a proposal may be made for: not opted out, never proposed."""
        return self.source(scan).where(col(Customer.opted_out).is_(False), ~self.proposed(scan))

    def proposed(self, scan: Scan) -> Any:
        """A proposal for this situation exists, even one whose workflow is long gone."""
        return exists().where(
            col(ProposedAction.location_id) == scan.location.id, col(ProposedAction.dedup_key) == self.dedup_key(scan)
        )


@dataclass(frozen=True)
class TeamAgent:
    """An agent whose proposals are work for the team, never a message to a customer: approving one creates it."""

    type: AgentType
    description: str  # as `Agent.description`
    threshold_days: int  # N when a location is set up
    # Every situation there is now, each a pattern about no one customer, with its draft's subject and body in the
    # facts `title` and `body_html` (bounded: a team's work, not a customer base).
    find: Callable[[Session, Scan], list[Pattern]]
    # On approval, with the operator's edits: create the work; answers what was created, for the timeline.
    create: Callable[[Session, ProposedAction], str]
    category: AgentCategory = AgentCategory.team
    channel: Channel = Channel.team
    auto_execute_safe: bool = False

    @staticmethod
    def draft(pattern: Pattern) -> Draft:
        """The draft the agent found: no model writes the team's own words."""
        body_html = str(pattern.facts["body_html"])
        return Draft(channel=Channel.team, subject=str(pattern.facts["title"]), body_html=body_html,
                     body_text=html_to_text(body_html))  # fmt: skip


@dataclass(frozen=True)
class Ranked:
    """One customer on a team agent's ranked list: how strongly the signals point, and which."""

    customer_id: str
    name: str
    score: int  # 0 to 100
    reasons: list[str]


# A ranked list names at most this many customers: what a team acts on in a week; from this score a listed
# customer's ticket is high priority.
LISTED = 10
URGENT_SCORE = 70


def ranked_list(scan: Scan, title: str, ranked: list[Ranked], whom: str) -> list[Pattern]:
    """A team agent's weekly list of `whom` (members, leads): the customers most worth the team's time, best first,
    each with its reasons; one a week (its dedup key names the location's week), none when nobody is ranked."""
    listed = sorted(ranked, key=lambda entry: (-entry.score, entry.customer_id))[:LISTED]
    if not listed:
        return []
    approving = (f"Approving opens a ticket for the team about each, with these reasons; nothing is sent to the "
                 f"{whom}, and no agent writes to them while their ticket is open.")  # fmt: skip
    week = scan.today.isocalendar()
    lines = "".join(f"<li><strong>{escape(entry.name)}</strong> ({entry.score}): {escape('; '.join(entry.reasons))}"
                    "</li>" for entry in listed)  # fmt: skip
    return [
        Pattern(
            location_id=scan.location.id,
            agent_type=scan.policy.agent_type,
            dedup_key=f"{scan.policy.agent_type.value}:{week.year}-W{week.week:02d}",
            customer_id=None,
            customer_name="",
            reason=f"{len(listed)} of {len(ranked)} this week, best first, each with why.",
            facts={
                "title": f"{title}, week {week.week}",
                "body_html": f"<ol>{lines}</ol><p>{escape(approving)}</p>",
                # One line a customer, in rank order: what approving opens a ticket for.
                "ranked": "\n".join(
                    f"{entry.customer_id}\t{entry.score}\t{'; '.join(entry.reasons)}" for entry in listed
                ),
            },
            priority=Priority.high if listed[0].score >= URGENT_SCORE else Priority.normal,
            confidence=listed[0].score,
            confidence_reasons=[f"the first on the list scores {listed[0].score}"],
        )
    ]


def open_team_tickets(session: Session, action: ProposedAction, subject: str) -> str:
    """A help-desk ticket for the team about each customer of an approved ranked list (`subject` names them) still
    named in it as approved — an operator leaves one out by deleting their line —, its reasons an internal note: the
    customer is told nothing, and their open ticket holds every agent's outreach to them while the team acts. The
    ticket is the team's own (no outreach's, no conversation's): its subject, written for the team, is never mailed
    to the customer. Opened once however often it is asked."""
    numbers = []
    for line in str(action.facts["ranked"]).splitlines():
        customer_id, score, reasons = line.split("\t", 2)
        customer = session.get(Customer, customer_id)
        if customer is None or f"{customer.name} ({score})" not in action.body_text:
            continue
        ticket_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{action.id}:{customer_id}"))
        numbers.append(ticket_number(ticket_id))
        if session.get(Ticket, ticket_id) is not None:
            continue
        now = datetime.now(UTC)
        session.add(Ticket(id=ticket_id, number=ticket_number(ticket_id), location_id=action.location_id,
                           requester_id=customer_id, subject=subject.format(name=customer.name),
                           status=TicketStatus.open,
                           priority=Priority.high if int(score) >= URGENT_SCORE else Priority.normal,
                           created_at=now, updated_at=now))  # fmt: skip
        session.flush()
        add_comment(session, ticket_id, f"{ticket_id}:why", Sender.system, "Proactive Outreach",
                    f"<p>{escape(reasons)} (score {score}; from “{escape(action.subject)}”).</p>", public=False,
                    at=now)  # fmt: skip
    return f"Opened {len(numbers)} tickets for the team: {', '.join(numbers)}."


def paragraphs(*lines: str) -> str:
    """Each line a paragraph; a list stays a list."""
    return "".join(line if line.startswith("<ul>") else f"<p>{line}</p>" for line in lines if line)


def signature_html(context: ComposeContext) -> str:
    """The location's signature, when the message is signed (an email; a chat message or a call is not)."""
    if not context.signed:
        return ""
    lines = context.signature.splitlines() or [f"The {context.location_name} team"]
    return "<br>".join(escape(line) for line in lines)


def dedup(agent_type: AgentType, column: Any) -> Callable[[Scan], Any]:
    """SQL for `{agent_type}:{column}`, the dedup key a pattern of this agent gets in any scan."""
    return lambda _scan: literal(f"{agent_type.value}:") + column


# How long a customer's word that they are leaving holds every agent that would nudge, offer or follow them up:
# long enough for the team to confirm it, short enough that a change of mind is not ignored for ever.
LEAVING_SAID_HOLDS = timedelta(days=60)


def ending_within(scan: Scan, days: int) -> tuple[Any, ...]:
    """SQL conditions for a contract of the location that ends within `days` of the scan's day, neither renewed nor
    cancelled."""
    return (
        col(Contract.location_id) == scan.location.id,
        col(Contract.ends_on) >= scan.today,
        col(Contract.ends_on) <= scan.today + timedelta(days=days),
        col(Contract.renewed).is_(False),
        col(Contract.cancelled).is_(False),
    )


def leaving(customer_id: Any, at: datetime) -> Any:
    """The customer is on their way out at `at`: a contract of theirs is cancelled, or they said so in a
    conversation within `LEAVING_SAID_HOLDS`."""
    # Aliases of their own: the query asking may be about a contract or a customer already.
    notice, said = aliased(Contract), aliased(Customer)
    return or_(
        exists().where(col(notice.customer_id) == customer_id, col(notice.cancelled).is_(True)),
        exists().where(col(said.id) == customer_id, col(said.leaving_said_at) > at - LEAVING_SAID_HOLDS),
    )


def visits(customer_id: Any, start: datetime, end: datetime) -> Any:
    """SQL for how many times the customer checked in from `start` until `end`."""
    return (
        select(func.count())
        .where(col(CheckIn.customer_id) == customer_id, col(CheckIn.at) >= start, col(CheckIn.at) < end)
        .scalar_subquery()
    )


def has_booked(customer_id: Any) -> Any:
    return exists().where(col(Booking.customer_id) == customer_id)


def make_pattern(
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


def price_lists(prices: dict[str, Any]) -> tuple[str, str]:
    """The private offices and the plans that `plans_and_prices` found, each an HTML list with its prices."""
    offices = "".join(f"<li>{escape(office['name'])}, for up to {office['seats']}: "
                      f"{escape(office['monthly_price'])} a month</li>"
                      for office in prices["private_offices"])  # fmt: skip
    plans = "".join(f"<li>{escape(plan['name'])}: {escape(plan['monthly_price'])} a month</li>"
                    for plan in prices["plans"])  # fmt: skip
    return f"<ul>{offices}</ul>", f"<ul>{plans}</ul>"


def price_lookup(context: ComposeContext, message: str) -> ToolRequest:
    """The plans and prices: of another of our locations, if the message names one."""
    elsewhere = named_location(message, context.other_locations)
    return ToolRequest(call_id="prices", name="plans_and_prices",
                       arguments={"location": elsewhere} if elsewhere else {})  # fmt: skip


def prices_and_viewing(context: ComposeContext, message: str, steps: list[ToolStep]) -> list[ToolRequest]:
    """The plans and prices, and a link to book a viewing: what an answer about offices and prices is made of.
    Another location's prices say where to book its viewings (`viewing`)."""
    if steps:
        return []
    prices = price_lookup(context, message)
    if prices.arguments:
        return [prices]
    return [prices, ToolRequest(call_id="viewing", name="portal_link", arguments={"purpose": "book"})]


def viewing(steps: list[ToolStep]) -> tuple[str, str | None]:
    """Where the prices of `prices_and_viewing` are (" at Eastside Works Austin", or "" for the customer's own) and
    where to book a viewing: another location's portal, or the link the steps made (None: none could be made)."""
    prices, *link = (step.result for step in steps)
    if there := prices.content.get("book_there"):
        return f" at {prices.content['location']}", str(there)
    return "", next((str(made.content["link"]) for made in link if made.ok), None)


def human_date(iso: str | int) -> str:
    day = date.fromisoformat(str(iso))
    return f"{day.strftime('%B')} {day.day}, {day.year}"


def day_pass_tools(
    context: ComposeContext, message: str, steps: list[ToolStep], unnamed: date | None = None
) -> list[ToolRequest]:
    """A day pass for the day the customer names (or, naming none, the day the outreach is about: `unnamed`):
    first whether a desk is free then, then the pass itself; no day, what a day pass costs (to ask which day)."""
    day = (mentioned_day(message, context.today) if context.today else None) or unnamed
    if day is None:
        return [] if steps else [price_lookup(context, message)]
    if not steps:
        return [ToolRequest(call_id="availability", name="check_availability",
                            arguments={"kind": "desk", "date": day.isoformat()})]  # fmt: skip
    free = steps[0].result
    if len(steps) == 1 and free.ok and free.content.get("available"):
        return [ToolRequest(call_id="day-pass", name="buy_day_pass", arguments={"date": day.isoformat()})]
    return []


def day_pass_bought(context: ComposeContext, steps: list[ToolStep]) -> list[str]:
    """The day pass the tools bought — when, where, the Wi-Fi, what it costs and the links — or why not; no day
    named yet, what it costs and which day."""
    first = escape(context.first_name)
    bought = steps[-1].result
    if bought.name == "plans_and_prices":
        price = bought.content.get("day_pass") if bought.ok else None
        cost = f" A day pass is {escape(price)}." if price else ""
        return [f"Happy to set that up, {first}!{cost} Which day would you like to come in?"]
    if bought.name != "buy_day_pass" or not bought.ok:
        reason = bought.error or "every desk is taken that day"
        return [f"I'm sorry, {first}: {escape(reason)}", "Would another day suit you? Just tell me which."]
    found = bought.content
    day = date.fromisoformat(found["date"])
    return [
        f"You're all set, {first}! Your day pass is for {day:%A %-d %B}, {escape(found['from'])} to "
        f"{escape(found['until'])}, at {escape(found['location'])}, {escape(found['address'])}.",
        f"The Wi-Fi is {escape(found['wifi_network'])}, password {escape(found['wifi_password'])}.",
        f'The day pass is {escape(found["price"])}: <a href="{escape(found["payment_link"], quote=True)}">pay for '
        f'it here</a>. Your booking is in the portal: <a href="{escape(found["booking_link"], quote=True)}">see '
        "your booking</a>.",
    ]
