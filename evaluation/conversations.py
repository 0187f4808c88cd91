"""`make eval`, conversations: labelled customer turns over every agent type and the members' chat, and the three
journeys, through the real turn loop (`run_turn`, as the workflow runs it), the real thinking activity and the real
tools on a demo database of its own — the offline engine, or the configured model. Each turn is labelled with what
should happen (answer, clarify, escalate with its reason, opt out) and, where it matters, the tools that should be
used; every answer must state only what the facts and the tools' results say.
"""

import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.db import DbActivities
from activities.llm import LLM_ATTEMPTS
from activities.tools import ToolActivities
from activities.tools.context import BookingCaps, PortalLinks
from activities.turns import ConversationActivities
from agents.policy import agent_policy
from agents.scan import scan_page, start_scan
from conversation.model import unfounded
from conversation.offline import NOT_UNDERSTOOD
from conversation.policy import OPT_OUT
from conversation.turn import run_turn
from demo.seed import seed_demo_data
from models.db import make_engine, session_scope
from models.messages import (
    ActionStatus,
    AgentType,
    Channel,
    ConversationOpening,
    CustomerMessage,
    Draft,
    EscalationReason,
    OutreachState,
    ProposalRecord,
    Sender,
    StatusChange,
    TimelineEvent,
    ToolCall,
    ToolRequest,
    ToolResult,
    ToolStep,
    Turn,
    TurnOutcome,
    TurnRequest,
)
from models.migrate import upgrade
from models.tables import AgentConfig, Invoice, Location, Resource
from models.timeline import add_timeline_entry
from providers.llm import language_model
from settings import Settings

LOCATION = "ams"
# The labelled turns speak as customers do on an ordinary working day ("a day pass tomorrow", "next Tuesday"), so
# the eval runs on such a day, whatever the calendar says: the same engine scores the same on a Friday, a weekend or
# a holiday, and runs compare. What the engine does when "tomorrow" is closed is tested on each kind of day.
EVAL_DAY = datetime(2026, 6, 2, 7, 30, tzinfo=UTC)  # a Tuesday morning at the location
ANSWER, CLARIFY, ESCALATE, OPT_OUT_LABEL = "answer", "clarify", "escalate", "opt out"
R = EscalationReason


@dataclass(frozen=True)
class Labelled:
    """A customer's turn and what should happen: `label`, the escalation's `reason`, the `tools` to use (None:
    any), and words the answer must contain."""

    agent: AgentType | None  # None: the members' chat, which the customer started
    text: str
    label: str
    reason: EscalationReason | None = None
    tools: tuple[str, ...] | None = None
    says: tuple[str, ...] = ()


DI, CR, LF, FB = AgentType.due_invoice, AgentType.contract_renewal, AgentType.lead_follow_up, AgentType.first_booking
MC = None  # the members' chat

TURNS: list[Labelled] = [
    # overdue invoice
    Labelled(DI, "Can you remind me what this covers?", ANSWER, tools=("invoice_details",)),
    Labelled(DI, "What am I paying for exactly?", ANSWER, tools=("invoice_details",)),
    Labelled(DI, "Could you send me the link again?", ANSWER, tools=()),
    Labelled(DI, "I already paid it last Friday.", ANSWER, tools=()),
    Labelled(DI, "Thanks, will do!", ANSWER, tools=()),
    Labelled(DI, "ok", CLARIFY),
    Labelled(DI, "Hmm, not sure about this one", CLARIFY),
    Labelled(DI, "I need a payment plan, money is tight this month", ESCALATE, R.needs_judgement),
    Labelled(DI, "Could I split it into two payments?", ESCALATE, R.needs_judgement),
    Labelled(DI, "I was charged twice for this!", ESCALATE, R.dispute),
    Labelled(DI, "I dispute this invoice, I never used the meeting rooms", ESCALATE, R.dispute),
    Labelled(DI, "THIS IS THE THIRD REMINDER I GET FOR A PAID INVOICE", ESCALATE, R.frustrated),
    Labelled(DI, "Can I talk to someone in your finance team?", ESCALATE, R.asked_for_person),
    Labelled(DI, "Please stop emailing me about this.", OPT_OUT_LABEL, tools=(OPT_OUT,)),
    Labelled(DI, "How do I pay an invoice?", ANSWER, tools=(), says=("here it is again",)),
    Labelled(DI, "Do you accept payment in bitcoin?", ESCALATE, R.outside_scope, tools=("search_faq",)),
    # contract renewal
    Labelled(CR, "I've been thinking about switching to a private office. What options do you have?", ANSWER,
             tools=("plans_and_prices", "portal_link"), says=("a month",)),
    Labelled(CR, "What other plans do you have?", ANSWER, tools=("plans_and_prices", "portal_link")),
    Labelled(CR, "Those prices are higher than I expected. Can we work something out?", ESCALATE, R.needs_judgement),
    Labelled(CR, "Is there a discount if I renew for two years?", ESCALATE, R.needs_judgement),
    Labelled(CR, "I'm thinking of leaving at the end of my contract", ESCALATE, R.needs_judgement),
    Labelled(CR, "Please send me the renewal link", ANSWER, tools=()),
    Labelled(CR, "Great, thanks!", ANSWER, tools=()),
    Labelled(CR, "I'd like to speak to a manager about my contract", ESCALATE, R.asked_for_person),
    Labelled(CR, "I want to make a complaint about the noise on the second floor", ESCALATE, R.complaint),
    Labelled(CR, "This is unacceptable, the heating has been broken for weeks", ESCALATE, R.frustrated),
    Labelled(CR, "Unsubscribe", OPT_OUT_LABEL, tools=(OPT_OUT,)),
    Labelled(CR, "Bitte keine E-Mails mehr", OPT_OUT_LABEL, tools=(OPT_OUT,)),
    Labelled(CR, "Can I bring guests to the space?", ANSWER, tools=("search_faq",), says=("Register guests",)),
    Labelled(CR, "Do you have showers and bike storage?", ESCALATE, R.outside_scope, tools=("search_faq",)),
    Labelled(CR, "maybe", CLARIFY),
    Labelled(CR, "Let me think about it", CLARIFY),
    # lead follow-up
    Labelled(LF, "Yes, I'd love to try a day pass for next Tuesday.", ANSWER,
             tools=("check_availability", "buy_day_pass"), says=("Wi-Fi", "09:00 to 18:00")),
    Labelled(LF, "Could I come in for a day pass tomorrow?", ANSWER, tools=("check_availability", "buy_day_pass")),
    Labelled(LF, "How much is a private office for four people?", ANSWER, tools=("plans_and_prices",),
             says=("Office 2.4, for up to 4: €1,650.00 a month",)),
    Labelled(LF, "What are your prices?", ANSWER, tools=("plans_and_prices",), says=("a day pass is €35.00",)),
    Labelled(LF, "Could you give me a discount if I sign for a year?", ESCALATE, R.needs_judgement),
    Labelled(LF, "I'd like to book a tour", ANSWER, tools=()),
    Labelled(LF, "Thanks for following up!", ANSWER, tools=()),
    Labelled(LF, "Can I speak to a human please?", ESCALATE, R.asked_for_person),
    Labelled(LF, "Please remove me from your mailing list", OPT_OUT_LABEL, tools=(OPT_OUT,)),
    Labelled(LF, "No me escriban más, gracias", OPT_OUT_LABEL, tools=(OPT_OUT,)),
    Labelled(LF, "Is there a day pass?", ANSWER, tools=(), says=("Which day would you like",)),
    Labelled(LF, "What time do you open in the morning?", ESCALATE, R.outside_scope, tools=("search_faq",)),
    Labelled(LF, "Your sales person was really rude on the phone", ESCALATE, R.complaint),
    Labelled(LF, "We found another space already", CLARIFY),
    Labelled(LF, "hi", CLARIFY),
    # first booking
    Labelled(FB, "How do I book a meeting room?", ANSWER, tools=(), says=("book",)),
    Labelled(FB, "Where can I book?", ANSWER, tools=()),
    Labelled(FB, "Thanks for the reminder!", ANSWER, tools=()),
    Labelled(FB, "Can I bring guests?", ANSWER, tools=("search_faq",), says=("Register guests",)),
    Labelled(FB, "Is there parking nearby?", ESCALATE, R.outside_scope, tools=("search_faq",)),
    Labelled(FB, "Can someone call me to explain how it works?", ESCALATE, R.asked_for_person),
    Labelled(FB, "I was billed for a membership I never agreed to", ESCALATE, R.dispute),
    Labelled(FB, "I'm really disappointed with the onboarding so far", ESCALATE, R.frustrated),
    Labelled(FB, "STOP", OPT_OUT_LABEL, tools=(OPT_OUT,)),
    Labelled(FB, "Arrêtez de m'écrire s'il vous plaît", OPT_OUT_LABEL, tools=(OPT_OUT,)),
    Labelled(FB, "Don't email me, call me instead", ESCALATE, R.asked_for_person),
    Labelled(FB, "sure", CLARIFY),
    Labelled(FB, "I haven't had time yet", CLARIFY),
    Labelled(FB, "Are you a real person or a bot?", ANSWER, tools=(), says=("AI assistant",)),
    Labelled(FB, "I'm not happy with how I was treated at reception", ESCALATE, R.complaint),
    Labelled(FB, "Where do I book a desk?", ANSWER, tools=()),
    # the members' chat: no outreach, the customer writes in themselves
    Labelled(MC, "Do I have any unpaid invoices?", ANSWER, tools=("invoice_details",), says=("pay-invoice",)),
    Labelled(MC, "What are your opening hours?", ANSWER, tools=("location_details",), says=("Monday",)),
    Labelled(MC, "What's your address?", ANSWER, tools=("location_details",), says=("Herengracht",)),
    Labelled(MC, "How much is a private office?", ANSWER, tools=("plans_and_prices", "portal_link"),
             says=("a month",)),
    Labelled(MC, "Can I get a day pass for next Tuesday?", ANSWER, tools=("check_availability", "buy_day_pass"),
             says=("Wi-Fi",)),
    Labelled(MC, "I'd like to book a meeting room", ANSWER, tools=("portal_link",), says=("/book?",)),
    Labelled(MC, "Can I bring guests to the space?", ANSWER, tools=("search_faq",), says=("Register guests",)),
    Labelled(MC, "Can I bring my dog?", ESCALATE, R.outside_scope, tools=("search_faq",)),
    Labelled(MC, "Could I get a discount on my membership?", ESCALATE, R.needs_judgement),
    Labelled(MC, "I want to speak to a manager", ESCALATE, R.asked_for_person),
    Labelled(MC, "You charged me twice this month!", ESCALATE, R.dispute),
    Labelled(MC, "Please stop sending me messages", OPT_OUT_LABEL, tools=(OPT_OUT,)),
    Labelled(MC, "Am I talking to a bot?", ANSWER, tools=(), says=("AI assistant",)),
    Labelled(MC, "hmm", CLARIFY),
]  # fmt: skip

# The three journeys, turn after turn in one conversation.
JOURNEYS: dict[str, list[Labelled]] = {
    "overdue invoice": [
        Labelled(DI, "Can you remind me what this covers?", ANSWER, tools=("invoice_details",), says=("pay-invoice",)),
        Labelled(DI, "Thanks, paid it just now.", ANSWER, tools=()),
    ],
    "lead follow-up": [
        Labelled(LF, "Yes, I'd love to try a day pass for next Tuesday.", ANSWER,
                 tools=("check_availability", "buy_day_pass"), says=("Tuesday", "Wi-Fi", "/book?")),
    ],
    "contract renewal": [
        Labelled(CR, "I've been thinking about switching to a private office. What options do you have?", ANSWER,
                 tools=("plans_and_prices", "portal_link"), says=("Office 2.4", "a month", "Book a viewing")),
        Labelled(CR, "Those prices are higher than I expected. Can we work something out?", ESCALATE,
                 R.needs_judgement),
    ],
}  # fmt: skip


@dataclass
class Outcome:
    labelled: Labelled
    label: str
    reason: EscalationReason | None
    tools: list[str]
    answer: str = ""  # what the customer was told
    problems: list[str] = field(default_factory=list)


def label_of(turn: Turn, tools: list[str]) -> str:
    if OPT_OUT in tools:
        return OPT_OUT_LABEL
    if turn.outcome is TurnOutcome.escalate:
        return ESCALATE
    return CLARIFY if turn.summary == NOT_UNDERSTOOD else ANSWER


class Bench:
    """A demo space of its own, one delivered proposal per agent, and the real turn and tools on it."""

    def __init__(self, settings: Settings, directory: Path) -> None:
        url = f"sqlite:///{directory / 'eval.db'}"
        upgrade(url)
        self.engine: Engine = make_engine(url)
        seed_demo_data(self.engine, customers=30)
        self.proposals = _proposals(self.engine)
        self.turns = ConversationActivities(self.engine, language_model(settings), settings.critical_dispute_cents,
                                            settings.llm_monthly_budget_usd)  # fmt: skip
        caps = BookingCaps(settings.ai_bookings_per_conversation, settings.ai_bookings_per_customer_day)
        self.tools = ToolActivities(
            self.engine, PortalLinks("eval-portal-secret", timedelta(days=14)), caps, _no_cancel
        )
        with Session(self.engine) as session:
            self.resources = list(session.exec(select(Resource.name)))
        self._conversations = 0

    async def conversation(self, turns: list[Labelled]) -> list[Outcome]:
        self._conversations += 1
        conversation_id = f"conversation:eval-{self._conversations}"
        if turns[0].agent is None:  # a members' chat: its conversation row says whose it is
            DbActivities(self.engine).open_conversation(ConversationOpening(
                conversation_id=conversation_id, action_id=None, location_id=LOCATION,
                customer_id=self.proposals[None].customer_id, channel=Channel.chat, subject="Members' chat",
                at=datetime.now(UTC),
            ))  # fmt: skip
        return [await self._turn(conversation_id, labelled, n) for n, labelled in enumerate(turns)]

    async def _turn(self, conversation_id: str, labelled: Labelled, n: int) -> Outcome:
        proposal = self.proposals[labelled.agent]
        action_id = proposal.action_id
        channel = Channel.ai_email if labelled.agent else Channel.chat
        message = CustomerMessage(id=f"{conversation_id}:{n}", channel=channel, body=labelled.text,
                                  received_at=datetime.now(UTC))  # fmt: skip
        self._log(TimelineEvent.from_customer(message, action_id, conversation_id))
        request = TurnRequest(conversation_id=conversation_id, action_id=action_id, message=message)

        async def use(wanted: ToolRequest) -> ToolResult:
            call = ToolCall(request_key=f"{message.id}:{wanted.call_id}", location_id=LOCATION,
                            customer_id=proposal.customer_id, name=wanted.name, arguments=wanted.arguments,
                            action_id=action_id, conversation_id=conversation_id)  # fmt: skip
            return await self.tools.use_tool(call)

        turn = await run_turn(request, self._think, use)
        self._log(TimelineEvent(id=f"answer:{message.id}", action_id=action_id, conversation_id=conversation_id,
                                sender=Sender.ai, channel=channel, body=turn.reply_html,
                                at=datetime.now(UTC)))  # fmt: skip
        tools = [step.request.name for step in request.steps]
        reason = turn.escalation.reason if turn.escalation else None
        outcome = Outcome(labelled, label_of(turn, tools), reason, tools, turn.reply_html)
        outcome.problems = self._problems(labelled, outcome, turn, request.steps)
        return outcome

    async def _think(self, request: TurnRequest) -> Turn:
        """A step of the turn, retried as Temporal would; on the last attempt the turn itself falls back."""
        environment = ActivityEnvironment()
        for attempt in range(1, LLM_ATTEMPTS):
            environment.info = replace(environment.info, attempt=attempt)
            try:
                return await environment.run(self.turns.converse, request)
            except ApplicationError:
                continue
        environment.info = replace(environment.info, attempt=LLM_ATTEMPTS)
        return await environment.run(self.turns.converse, request)

    def _log(self, event: TimelineEvent) -> None:
        with session_scope(self.engine) as session:
            add_timeline_entry(session, event)

    def _problems(self, labelled: Labelled, outcome: Outcome, turn: Turn, steps: list[ToolStep]) -> list[str]:
        found = []
        if outcome.label != labelled.label:
            found.append(f"decision: {outcome.label}, expected {labelled.label}")
        elif labelled.reason is not None and outcome.reason is not labelled.reason:
            found.append(f"escalation reason: {outcome.reason}, expected {labelled.reason.value}")
        if labelled.tools is not None and sorted(outcome.tools) != sorted(labelled.tools):
            found.append(f"tools: {outcome.tools}, expected {list(labelled.tools)}")
        invented = unfounded(turn.reply_html, self.proposals[labelled.agent].facts, steps, self.resources)
        if invented:
            found.append(f"facts: states {', '.join(invented)}")
        found += [f"says: missing {words!r}" for words in labelled.says if words not in turn.reply_html]
        return found


async def _no_cancel(_action_ids: list[str]) -> None:
    """The eval's space has no workflows to cancel; the opt-out itself is recorded."""


@dataclass(frozen=True)
class Proposal:
    action_id: str | None  # None: the members' chat
    customer_id: str
    facts: dict[str, str | int]


def _proposals(engine: Engine) -> dict[AgentType | None, Proposal]:
    """One delivered proposal per agent at the location, for a customer with an email address; and, for the
    members' chat, a member with an open invoice."""
    found: dict[AgentType | None, Proposal] = {}
    now = datetime.now(UTC)
    with Session(engine) as session:
        location = session.get(Location, LOCATION)
        assert location is not None, "the demo location"
        configs = session.exec(select(AgentConfig).where(AgentConfig.location_id == LOCATION)).all()
        patterns = []
        for config in configs:
            scan = start_scan(session, LOCATION, agent_policy(config, location), now)
            assert scan is not None
            page = scan_page(session, scan, None, 50, 0).patterns
            patterns.append(next(pattern for pattern in page if pattern.customer_email))
    for pattern in patterns:
        action_id = f"outreach:{LOCATION}:{pattern.dedup_key}"
        draft = Draft(channel=Channel.ai_email, subject=pattern.reason, body_html=f"<p>{escape(pattern.reason)}</p>",
                      body_text=pattern.reason)  # fmt: skip
        state = OutreachState(status=ActionStatus.sent, draft=draft, created_at=now, expires_at=now + timedelta(days=1))
        DbActivities(engine).record_proposal(StatusChange(
            record=ProposalRecord(action_id=action_id, pattern=pattern, state=state),
            entry=TimelineEvent(id=f"{action_id}:sent", action_id=action_id, sender=Sender.system,
                                body="Sent (evaluation).", at=now),
        ))  # fmt: skip
        found[pattern.agent_type] = Proposal(action_id, pattern.customer_id, pattern.facts)
    with Session(engine) as session:
        member = session.exec(
            select(Invoice.customer_id).where(col(Invoice.location_id) == LOCATION, col(Invoice.paid_at).is_(None))
            .order_by(col(Invoice.customer_id))
        ).first()  # fmt: skip
    assert member is not None, "the demo has a member with an open invoice"
    found[None] = Proposal(None, member, {})
    return found


def report(outcomes: list[Outcome], journeys: dict[str, list[Outcome]]) -> tuple[list[str], list[str]]:
    """The report's lines, and the failures."""
    everything = outcomes + [outcome for steps in journeys.values() for outcome in steps]
    labels = [ANSWER, CLARIFY, ESCALATE, OPT_OUT_LABEL]
    agents = {o.labelled.agent for o in outcomes}
    chat = " and the members' chat" if None in agents else ""
    lines = [f"Evaluated {len(outcomes)} labelled turns over {len(agents - {None})} agents{chat}, and "
             f"{len(journeys)} journeys ({sum(map(len, journeys.values()))} turns).", ""]  # fmt: skip

    def rate(name: str, passed: int, total: int) -> str:
        return f"  {name:<28} {passed:>3}/{total:<3} {100 * passed / total if total else 100:5.1f}%"

    decided = sum(1 for o in outcomes if o.label == o.labelled.label)
    lines.append(rate("decision (4 labels)", decided, len(outcomes)))
    with_tools = [o for o in everything if o.labelled.tools is not None]
    lines.append(rate("tool use", sum(1 for o in with_tools if sorted(o.tools) == sorted(o.labelled.tools or ())),
                      len(with_tools)))  # fmt: skip
    lines.append(rate("facts exact", sum(1 for o in everything if not any(p.startswith("facts") for p in o.problems)),
                      len(everything)))  # fmt: skip
    escalations = [o for o in everything if o.labelled.label == ESCALATE]
    lines.append(rate("escalation reason", sum(1 for o in escalations if o.reason is o.labelled.reason),
                      len(escalations)))  # fmt: skip
    lines.append(rate("journeys", sum(1 for steps in journeys.values() if not any(o.problems for o in steps)),
                      len(journeys)))  # fmt: skip
    matrix = Counter((o.labelled.label, o.label) for o in outcomes)
    lines += ["", "  Decisions (rows: expected, columns: what happened)",
              "  " + " " * 10 + "".join(f"{label:>10}" for label in labels)]  # fmt: skip
    lines += ["  " + f"{expected:<10}" + "".join(f"{matrix[(expected, got)]:>10}" for got in labels)
              for expected in labels]  # fmt: skip
    counts = Counter((o.labelled.label == ESCALATE, o.label == ESCALATE) for o in outcomes)
    lines += ["", "  Escalation    escalated  not escalated",
              f"  should        {counts[(True, True)]:>9}  {counts[(True, False)]:>13}",
              f"  should not    {counts[(False, True)]:>9}  {counts[(False, False)]:>13}"]  # fmt: skip
    failures = [f"  {o.labelled.agent.value if o.labelled.agent else 'chat'}: {o.labelled.text!r}: "
                f"{'; '.join(o.problems)}"
                for o in outcomes if o.problems]  # fmt: skip
    failures += [f"  journey {name}, {o.labelled.text!r}: {'; '.join(o.problems)}"
                 for name, steps in journeys.items() for o in steps if o.problems]  # fmt: skip
    return lines, failures


async def evaluate_conversations(settings: Settings) -> tuple[list[str], list[str]]:
    with tempfile.TemporaryDirectory(prefix="outreach-eval-") as directory, time_machine.travel(EVAL_DAY, tick=True):
        bench = Bench(settings, Path(directory))
        outcomes = [outcome for labelled in TURNS for outcome in await bench.conversation([labelled])]
        journeys = {name: await bench.conversation(turns) for name, turns in JOURNEYS.items()}
        bench.engine.dispose()
    return report(outcomes, journeys)
