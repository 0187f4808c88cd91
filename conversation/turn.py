"""The turn loop: think → tools → think → answer, in bounded rounds. The one loop every conversation runs — the
workflow (each step an activity, so the history shows it), a live call (local activities), the members' chat and
`make eval` (each step called directly) — so what the eval scores is what customers get.

Deterministic and free of I/O: it runs inside the conversation's workflow."""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from models.messages import Channel, Offer, ToolRequest, ToolResult, ToolStep, Turn, TurnOutcome, TurnRequest

# Rounds of tool use in one turn; the last round's thinking must answer with what the tools found.
MAX_TOOL_ROUNDS = 4
# How long a proposed booking waits for the customer's yes: a chat or a call answers within minutes, an email
# within hours; after that the place may be gone, and a "yes" is asked about again.
CONFIRMATION_WINDOWS = {Channel.chat: timedelta(minutes=30), Channel.voice: timedelta(minutes=30)}
EMAIL_CONFIRMATION_WINDOW = timedelta(hours=24)
# The places an answer proposes at most.
OFFERED = 5
# Tools that change something: a turn that used one has done what it proposes, and offers nothing more.
BOOKINGS = frozenset({"book_resource", "buy_day_pass"})

Think = Callable[[TurnRequest], Awaitable[Turn]]
UseTool = Callable[[ToolRequest], Awaitable[ToolResult]]


def always() -> bool:
    return True


async def run_turn(request: TurnRequest, think: Think, use: UseTool, with_tools: Callable[[], bool] = always) -> Turn:
    """The AI's answer to `request.message`: it thinks, uses the tools it asks for (each result added to
    `request.steps`), and thinks again, until it answers or the rounds run out. `with_tools` False after the first
    thought: the answer is that thought (a workflow replaying a history from before tools were in turns)."""
    turn = await think(request)
    if not with_tools():
        return turn
    for round_ in range(MAX_TOOL_ROUNDS):
        if not turn.tool_calls:
            break
        for tool in turn.tool_calls:
            request.steps.append(ToolStep(request=tool, result=await use(tool)))
        request.answer_now = round_ == MAX_TOOL_ROUNDS - 1
        turn = await think(request)
    if turn.outcome is TurnOutcome.reply and not turn.offers:
        turn = turn.model_copy(update={"offers": offered(request.steps)})
    return turn


def offered(steps: list[ToolStep]) -> list[Offer]:
    """The places a turn's tools found free, each with the bookings the customer's yes makes (every day it is free,
    of a weekly booking), the place free on most days first — unless the turn booked or bought something already."""
    if any(step.request.name in BOOKINGS for step in steps):
        return []
    offers: dict[str, Offer] = {}
    for step in steps:
        free = step.result.content if step.result.name == "check_availability" and step.result.ok else {}
        if "book_there" in free:  # another location's places: its team books them, not this conversation
            continue
        for place in free.get("available", []):
            times = {"date": free["date"], "start": free["from"], "end": free["until"]}
            booking = ToolRequest(call_id=f"book-{place['resource_id']}-{free['date']}", name="book_resource",
                                  arguments={"resource_id": place["resource_id"], **times})  # fmt: skip
            offers.setdefault(place["resource_id"], Offer(name=place["name"], bookings=[])).bookings.append(booking)
    return sorted(offers.values(), key=lambda offer: -len(offer.bookings))[:OFFERED]


def still_open(offers: list[Offer], offered_at: datetime | None, now: datetime, channel: Channel) -> list[Offer]:
    """What the last answer proposed, while the channel's confirmation window is open."""
    window = CONFIRMATION_WINDOWS.get(channel, EMAIL_CONFIRMATION_WINDOW)
    return offers if offered_at is not None and now - offered_at <= window else []
