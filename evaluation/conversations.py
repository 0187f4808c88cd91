"""`make eval`, conversations: labelled customer turns over every agent type and the members' chat, and the three
journeys, through the real turn loop (`run_turn`, as the workflow runs it), the real thinking activity and the real
tools on a demo database of its own — the offline engine, or the configured model. Each turn is labelled with what
should happen (answer, clarify, escalate with its reason, opt out) and, where it matters, the tools that should be
used; every answer must state only what the facts and the tools' results say.
"""

import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any, Literal

import time_machine
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
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
from agents.registry import AGENTS
from agents.scan import scan_page, start_scan
from conversation.model import founding, unfounded
from conversation.offline import NOT_UNDERSTOOD
from conversation.policy import OPT_OUT
from conversation.turn import run_turn
from demo.seed import seed_demo_data
from domain.content import html_to_text
from inbound.mail import reply_text
from models.db import make_engine, session_scope
from models.messages import (
    ActionStatus,
    AgentType,
    Channel,
    ConversationOpening,
    CustomerMessage,
    Draft,
    EscalationReason,
    Offer,
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
from models.tables import AgentConfig, Booking, Invoice, Location, Resource
from models.timeline import add_timeline_entry
from providers.llm import language_model
from settings import Settings

LOCATION = "ams"
# The labelled turns speak as customers do on an ordinary working day ("a day pass tomorrow", "next Tuesday"), so
# the eval runs on such a day, whatever the calendar says: the same engine scores the same on a Friday, a weekend or
# a holiday, and runs compare. What the engine does when "tomorrow" is closed is tested on each kind of day.
EVAL_DAY = datetime(2026, 6, 2, 7, 30, tzinfo=UTC)  # a Tuesday morning at the location
ANSWER, CLARIFY, ESCALATE, OPT_OUT_LABEL = "answer", "clarify", "escalate", "opt_out"
EXPECTS = (ANSWER, CLARIFY, ESCALATE, OPT_OUT_LABEL)
R = EscalationReason
CHAT = "chat"  # the members' chat, which the customer started: no agent's outreach before it

TURNS_DIR = Path(__file__).parent / "turns"
# The labelled turns, in sets: the ones the offline engine was written against (its regression bar: every one must
# pass), the ones written apart from it that it may be tuned on, and the held-out ones nothing is ever tuned on —
# their rate is the one that counts.
SETS = {"engine": "engine.jsonl", "tuning": "tuning.jsonl", "held-out": "held_out.jsonl"}
GATED = "engine"
DECISION_BAR = 0.9
# What the engine is measured against on the held-out turns (reported beside each rate).
GOALS = {"decision (4 labels)": 0.9, "tool use": 0.9, "facts exact": 1.0, "every opt-out caught": 1.0,
         "every ask for a person caught": 1.0}  # fmt: skip


class Labelled(BaseModel):
    """A customer's turn and what should happen — one line of a turns file: `expect`, the escalation's `reason`,
    the `tools` a right answer uses (any one of them counts; [] none; absent: any way of answering), words the
    answer must contain (`says`), and the language it is written in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: AgentType | None  # None: the members' chat ("chat" in a file)
    text: str = Field(min_length=1)
    expect: Literal["answer", "clarify", "escalate", "opt_out"]
    reason: EscalationReason | None = None
    tools: tuple[str, ...] | None = None
    says: tuple[str, ...] = ()
    language: str | None = None

    @field_validator("agent", mode="before")
    @classmethod
    def chat_is_no_agent(cls, agent: object) -> object:
        return None if agent == CHAT else agent


class BadTurns(ValueError):
    """A turns file that cannot be read, with the line that says why."""


def load(path: Path) -> list[Labelled]:
    """The labelled turns of a JSON-lines file (one object a line, blank lines skipped)."""
    turns = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            turn = Labelled.model_validate_json(line)
        except ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem["loc"]) or "line"
            raise BadTurns(f"{path}:{number}: {where}: {problem['msg']}") from error
        if turn.expect == ESCALATE and turn.reason is None:
            raise BadTurns(f"{path}:{number}: reason: an escalation says why (one of {', '.join(R)})")
        turns.append(turn)
    return turns


def labelled_sets(extra: Path | None = None) -> dict[str, list[Labelled]]:
    """Every set, by name; `extra` (`make eval TURNS=file.jsonl`) as one more."""
    sets = {name: load(TURNS_DIR / file) for name, file in SETS.items()}
    if extra is not None:
        sets[extra.name] = load(extra)
    return sets


DI, CR, LF = AgentType.due_invoice, AgentType.contract_renewal, AgentType.lead_follow_up


def said(agent: AgentType | None, text: str, expect: str, **labels: object) -> Labelled:
    return Labelled.model_validate({"agent": agent, "text": text, "expect": expect, **labels})


# The journeys, turn after turn in one conversation.
JOURNEYS: dict[str, list[Labelled]] = {
    "overdue invoice": [
        said(DI, "Can you remind me what this covers?", ANSWER, tools=("invoice_details",), says=("pay-invoice",)),
        said(DI, "Thanks, paid it just now.", ANSWER, tools=()),
    ],
    "lead follow-up": [
        said(LF, "Yes, I'd love to try a day pass for next Tuesday.", ANSWER,
             tools=("check_availability", "buy_day_pass"), says=("Tuesday", "Wi-Fi", "/book?")),
    ],
    "contract renewal": [
        said(CR, "I've been thinking about switching to a private office. What options do you have?", ANSWER,
             tools=("plans_and_prices", "portal_link"), says=("Office 2.4", "a month", "Book a viewing")),
        said(CR, "Those prices are higher than I expected. Can we work something out?", ESCALATE,
             reason=R.needs_judgement),
    ],
    "a room proposed, booked on the member's yes": [
        said(None, "Is a meeting room free tomorrow from 10 to 12 for 4 people?", ANSWER,
             tools=("check_availability",), says=("Shall I book",)),
        said(None, "Yes please!", ANSWER, tools=("book_resource",), says=("is booked for you", "see your booking")),
    ],
    "a weekly room, booked where it is free": [
        said(None, "Could we have a meeting room every Wednesday from 14:00 to 16:00 for the next 3 weeks? We're 4.",
             ANSWER, tools=("check_availability",), says=("2026-06-03", "2026-06-10", "2026-06-17", "Shall I book")),
        said(None, "Ja, graag", ANSWER, tools=("book_resource",), says=("is booked for you", "2026-06-17")),
    ],
}  # fmt: skip


def right_tools(labelled: Labelled, used: list[str]) -> bool:
    """Whether the tools used are what a right answer uses: any one of those named, or none when none are."""
    if labelled.tools is None:
        return True
    return bool(set(used) & set(labelled.tools)) if labelled.tools else not used


@dataclass
class Outcome:
    labelled: Labelled
    label: str
    reason: EscalationReason | None
    tools: list[str]
    answer: str = ""  # what the customer was told
    model_unusable: str = ""  # why the model's answer was not used, when the offline engine answered instead
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
        self._offers: list[Offer] = []  # what the last answer proposed: a journey's next turn may say yes to it

    async def conversation(self, turns: list[Labelled]) -> list[Outcome]:
        self._conversations += 1
        conversation_id = f"conversation:eval-{self._conversations}"
        if turns[0].agent is None:  # a members' chat: its conversation row says whose it is
            DbActivities(self.engine).open_conversation(ConversationOpening(
                conversation_id=conversation_id, action_id=None, location_id=LOCATION,
                customer_id=self.proposals[None].customer_id, channel=Channel.chat, subject="Members' chat",
                at=datetime.now(UTC),
            ))  # fmt: skip
        self._offers = []
        with Session(self.engine) as session:
            before = set(session.exec(select(Booking.id)))
        outcomes = [await self._turn(conversation_id, labelled, n) for n, labelled in enumerate(turns)]
        # Every labelled conversation stands for a customer of its own, but an agent's all speak as its one demo
        # customer, on one pinned day: what one booked (a room, a day pass's desk) is not taken from the next, nor
        # counted against its day.
        with session_scope(self.engine) as session:
            for booking in session.exec(select(Booking).where(col(Booking.id).not_in(before))):
                session.delete(booking)
        return outcomes

    async def _turn(self, conversation_id: str, labelled: Labelled, n: int) -> Outcome:
        proposal = self.proposals[labelled.agent]
        action_id = proposal.action_id
        channel = Channel.ai_email if labelled.agent else Channel.chat
        # An answer to an email comes home as the router reads it: what is new, without quotes and signature.
        body = reply_text(labelled.text) if channel is Channel.ai_email else labelled.text
        message = CustomerMessage(id=f"{conversation_id}:{n}", channel=channel, body=body,
                                  received_at=datetime.now(UTC))  # fmt: skip
        self._log(TimelineEvent.from_customer(message, action_id, conversation_id))
        request = TurnRequest(conversation_id=conversation_id, action_id=action_id, message=message,
                              offers=self._offers)  # fmt: skip

        async def use(wanted: ToolRequest) -> ToolResult:
            call = ToolCall(request_key=f"{message.id}:{wanted.call_id}", location_id=LOCATION,
                            customer_id=proposal.customer_id, name=wanted.name, arguments=wanted.arguments,
                            action_id=action_id, conversation_id=conversation_id)  # fmt: skip
            return await self.tools.use_tool(call)

        turn = await run_turn(request, self._think, use)
        # What the answer may state, as the engine checks it: read now, with what the turn's tools changed.
        founding_facts = founding(self.turns.situation(request))
        self._offers = turn.offers
        self._log(TimelineEvent(id=f"answer:{message.id}", action_id=action_id, conversation_id=conversation_id,
                                sender=Sender.ai, channel=channel, body=turn.reply_html,
                                at=datetime.now(UTC)))  # fmt: skip
        tools = [step.request.name for step in request.steps]
        reason = turn.escalation.reason if turn.escalation else None
        outcome = Outcome(labelled, label_of(turn, tools), reason, tools, turn.reply_html, turn.model_unusable)
        outcome.problems = self._problems(labelled, outcome, turn, request.steps, founding_facts)
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

    def _problems(self, labelled: Labelled, outcome: Outcome, turn: Turn, steps: list[ToolStep],
                  facts: dict[str, str | int]) -> list[str]:  # fmt: skip
        found = []
        if outcome.label != labelled.expect:
            found.append(f"decision: {outcome.label}, expected {labelled.expect}")
        elif labelled.reason is not None and outcome.reason is not labelled.reason:
            found.append(f"escalation reason: {outcome.reason}, expected {labelled.reason.value}")
        if not right_tools(labelled, outcome.tools):
            found.append(
                f"tools: {outcome.tools}, expected {'one of ' if labelled.tools else ''}{list(labelled.tools or ())}"
            )
        invented = unfounded(turn.reply_html, facts, steps, self.resources)
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


def _proposals(engine: Engine) -> dict[AgentType | None, Proposal]:
    """One delivered proposal per agent for customers at the location, for a customer with an email address; and,
    for the members' chat, a member with an open invoice."""
    found: dict[AgentType | None, Proposal] = {}
    now = datetime.now(UTC)
    with Session(engine) as session:
        location = session.get(Location, LOCATION)
        assert location is not None, "the demo location"
        configs = session.exec(select(AgentConfig).where(AgentConfig.location_id == LOCATION,
                                                         col(AgentConfig.agent_type).in_(AGENTS))).all()  # fmt: skip
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
        found[pattern.agent_type] = Proposal(action_id, str(pattern.customer_id))
    with Session(engine) as session:
        member = session.exec(
            select(Invoice.customer_id).where(col(Invoice.location_id) == LOCATION, col(Invoice.paid_at).is_(None))
            .order_by(col(Invoice.customer_id))
        ).first()  # fmt: skip
    assert member is not None, "the demo has a member with an open invoice"
    found[None] = Proposal(None, member)
    return found


def _rate(name: str, passed: int, total: int) -> str:
    goal = f"   goal {GOALS[name]:.0%}" if name in GOALS else ""
    return f"  {name:<30} {passed:>3}/{total:<3} {100 * passed / total if total else 100:5.1f}%{goal}"


def _table(title: str, rows: list[str], columns: list[str], counts: Counter[tuple[str, str]]) -> list[str]:
    width = max(len(name) for name in [*rows, *columns, ""]) + 2
    lines = ["", f"  {title} (rows: expected, columns: what happened)",
             "  " + " " * width + "".join(f"{column:>{width}}" for column in columns)]  # fmt: skip
    return lines + ["  " + f"{row:<{width}}" + "".join(f"{counts[(row, column)]:>{width}}" for column in columns)
                    for row in rows]  # fmt: skip


def _reason(outcome: Outcome) -> str:
    return outcome.reason.value if outcome.label == ESCALATE and outcome.reason else f"({outcome.label})"


def report(name: str, outcomes: list[Outcome]) -> list[str]:
    """A set's rates and its confusion matrices: decisions by label, escalations by reason."""
    agents = Counter(o.labelled.agent.value if o.labelled.agent else CHAT for o in outcomes)
    languages = Counter(o.labelled.language or "?" for o in outcomes)
    lines = [f"{name}: {len(outcomes)} labelled turns; agents {dict(sorted(agents.items()))}; "
             f"languages {dict(sorted(languages.items()))}", ""]  # fmt: skip
    decided = sum(1 for o in outcomes if o.label == o.labelled.expect)
    lines.append(_rate("decision (4 labels)", decided, len(outcomes)))
    with_tools = [o for o in outcomes if o.labelled.tools is not None]
    lines.append(_rate("tool use", sum(1 for o in with_tools if right_tools(o.labelled, o.tools)), len(with_tools)))
    lines.append(_rate("facts exact", sum(1 for o in outcomes if not any(p.startswith("facts") for p in o.problems)),
                       len(outcomes)))  # fmt: skip
    escalations = [o for o in outcomes if o.labelled.expect == ESCALATE]
    lines.append(_rate("escalation reason", sum(1 for o in escalations if o.reason is o.labelled.reason),
                       len(escalations)))  # fmt: skip
    opt_outs = [o for o in outcomes if o.labelled.expect == OPT_OUT_LABEL]
    lines.append(_rate("every opt-out caught", sum(1 for o in opt_outs if o.label == OPT_OUT_LABEL), len(opt_outs)))
    persons = [o for o in escalations if o.labelled.reason is R.asked_for_person]
    lines.append(_rate("every ask for a person caught", sum(1 for o in persons if o.label == ESCALATE), len(persons)))
    lines += _table("Decisions", list(EXPECTS), list(EXPECTS),
                    Counter((o.labelled.expect, o.label) for o in outcomes))  # fmt: skip
    reasons = Counter((str(o.labelled.reason), _reason(o)) for o in escalations)
    expected = sorted({row for row, _ in reasons})
    got = sorted({column for _, column in reasons}, key=lambda column: (column.startswith("("), column))
    lines += _table("Escalation reasons", expected, got, reasons)
    return lines


def below_the_bar(scored: dict[str, list[Outcome]]) -> list[str]:
    """What fails the offline engine's bar: a fact it was not given, in any set; on the turns it was written
    against, a missed opt-out or ask for a person, or fewer than DECISION_BAR of its decisions right. The other sets
    are measured against the goals (`GOALS`), not gated: the held-out rate is the one that counts."""
    failures = [line for outcomes in scored.values() for line in failures_of(outcomes) if "facts:" in line]
    own = scored.get(GATED, [])
    missed = [o for o in own if o.labelled.expect == OPT_OUT_LABEL and o.label != OPT_OUT_LABEL]
    missed += [o for o in own if o.labelled.reason is R.asked_for_person and o.label != ESCALATE]
    failures += failures_of(missed)
    right = sum(1 for o in own if o.label == o.labelled.expect)
    if right < DECISION_BAR * len(own):
        failures.append(f"  {GATED}: {right}/{len(own)} decisions right, under the bar of {DECISION_BAR:.0%}:")
        failures += failures_of([o for o in own if o.label != o.labelled.expect])
    return failures


def failures_of(outcomes: list[Outcome]) -> list[str]:
    return [f"  {o.labelled.agent.value if o.labelled.agent else CHAT}: {o.labelled.text!r}: {'; '.join(o.problems)}"
            for o in outcomes if o.problems]  # fmt: skip


def _turns_report(outcomes: list[Outcome]) -> list[dict[str, object]]:
    return [{"agent": o.labelled.agent.value if o.labelled.agent else CHAT, "text": o.labelled.text,
             "expect": o.labelled.expect, "reason": o.labelled.reason, "language": o.labelled.language,
             "decision": o.label, "decided_reason": o.reason, "tools": o.tools, "answer": html_to_text(o.answer),
             "model_unusable": o.model_unusable, "problems": o.problems} for o in outcomes]  # fmt: skip


@dataclass
class Evaluated:
    lines: list[str]  # the report, to print
    failures: list[str]  # what fails the bar: the engine's own set and the journeys
    report: dict[str, Any]  # every turn: decision, reason, tools, the answer's text


@asynccontextmanager
async def _bench(settings: Settings) -> AsyncIterator[Bench]:
    with tempfile.TemporaryDirectory(prefix="outreach-eval-") as directory:
        bench = Bench(settings, Path(directory))
        try:
            yield bench
        finally:
            bench.engine.dispose()


async def evaluate_conversations(settings: Settings, extra: Path | None = None,
                                 only: Collection[str] | None = None) -> Evaluated:  # fmt: skip
    """Every labelled set (or `only` these) and the journeys through the real turn, on a pinned working day."""
    sets = {name: turns for name, turns in labelled_sets(extra).items() if only is None or name in only}
    scored: dict[str, list[Outcome]] = {}
    with time_machine.travel(EVAL_DAY, tick=True):
        # Each set in a space of its own: what one set books (up to the caps) changes nothing for the next.
        for name, turns in sets.items():
            async with _bench(settings) as bench:
                scored[name] = [outcome for labelled in turns for outcome in await bench.conversation([labelled])]
        async with _bench(settings) as bench:
            journeys = {name: await bench.conversation(turns) for name, turns in JOURNEYS.items()}
    lines: list[str] = []
    for name, outcomes in scored.items():
        lines += [*report(name, outcomes), ""]
    passed = sum(1 for steps in journeys.values() if not any(o.problems for o in steps))
    lines.append(_rate("journeys (word for word)", passed, len(journeys)))
    failures = below_the_bar(scored)
    failures += [f"  journey {name}, {o.labelled.text!r}: {'; '.join(o.problems)}"
                 for name, steps in journeys.items() for o in steps if o.problems]  # fmt: skip
    every = {name: _turns_report(outcomes) for name, outcomes in scored.items()}
    return Evaluated(
        lines,
        failures,
        {
            "day": EVAL_DAY.isoformat(),
            "sets": every,
            "journeys": {name: _turns_report(steps) for name, steps in journeys.items()},
        },
    )
