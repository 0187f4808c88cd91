"""What a customer in the members' chat, or a script with chat links, can spend: messages per customer and per
client address (counted in the database, so they hold across API processes; a proxy's X-Forwarded-For believed only
from a proxy the settings name), bookings and day passes the AI makes per conversation (over the cap nothing is
bought and the team takes it), and the location's monthly model budget (spent: no model is called and the team
takes the conversation). Each over real HTTP, through the real turn, tools and workflow."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.main import create_app
from domain.business_hours import OpeningHours
from models.db import session_scope
from models.messages import Sender
from models.tables import Booking, Customer, Location, ModelSpend, Ticket, TicketComment, TimelineEntry
from settings import Settings
from tests.conftest import PORTAL_SECRET, REPLY_SECRET, Stack, free_port, worker_for
from tests.fakes.openai_server import FakeOpenAI, fake_openai


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        DATABASE_URL=database_url,
        portal_link_secret=PORTAL_SECRET,
        reply_token_secret=REPLY_SECRET,
        ai_bookings_per_conversation=1,
    )


@asynccontextmanager
async def api_process(stack: Stack, peer: str = "192.0.2.10", **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """One more API process on the stack's database and worker, its clients connecting from `peer`."""
    configured = Settings(
        portal_link_secret=PORTAL_SECRET,
        reply_token_secret=REPLY_SECRET,
        **{"task_queue": stack.task_queue, **settings},
    )
    app = create_app(configured, stack.engine, stack.client)
    transport = httpx.ASGITransport(app=app, client=(peer, 40_000))
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield http


def members(stack: Stack, count: int) -> list[Customer]:
    with Session(stack.engine) as session:
        return list(
            session.exec(
                select(Customer)
                .where(col(Customer.location_id) == "ams", col(Customer.opted_out).is_(False))
                .order_by(col(Customer.id))
                .limit(count)
            )
        )


async def link_for(stack: Stack, customer: Customer) -> dict[str, str]:
    issued = await stack.http.post(f"/api/customers/{customer.id}/chat-link")
    assert issued.status_code == 200, issued.text
    return {"X-Chat-Link": issued.json()["link"]}


async def send(http: httpx.AsyncClient, link: dict[str, str], text: str, forwarded: str = "") -> httpx.Response:
    """A chat message, with an X-Forwarded-For header if given."""
    headers = {"Authorization": "", **link, **({"X-Forwarded-For": forwarded} if forwarded else {})}
    return await http.post("/api/chat/messages", json={"text": text}, headers=headers)


def customer_lines(stack: Stack, customer: Customer) -> int:
    """How many of the customer's chat messages reached the conversation."""
    with Session(stack.engine) as session:
        written = select(TimelineEntry).where(
            col(TimelineEntry.conversation_id) == f"chat:{customer.id}", col(TimelineEntry.sender) == Sender.customer
        )
        return len(session.exec(written).all())


async def test_a_customer_is_slowed_down_across_api_processes(stack: Stack) -> None:
    chatty, daily = members(stack, 2)
    link = await link_for(stack, chatty)
    async with (
        api_process(stack, chat_messages_per_minute=2) as first,
        api_process(stack, chat_messages_per_minute=2) as second,
    ):
        assert (await send(first, link, "What are your opening hours?")).status_code == 200
        assert (await send(second, link, "And your address?")).status_code == 200
        refused = await send(first, link, "And the Wi-Fi?")
        assert refused.status_code == 429, refused.text
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 30  # two a minute: one more every 30 seconds
        assert refused.json()["detail"] == (
            f"Too many chat messages from you: at most 2 a minute. This one was not taken: send it again in "
            f"{wait} seconds."
        )
        assert (await send(second, link, "Hello?")).status_code == 429
    assert customer_lines(stack, chatty) == 2  # what was refused never reached the AI

    link = await link_for(stack, daily)
    async with api_process(stack, chat_messages_per_day=2) as api:
        for text in ("What are your opening hours?", "And your address?"):
            assert (await send(api, link, text)).status_code == 200
        refused = await send(api, link, "And the Wi-Fi?")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 11 * 3600  # two a day: the next one in about twelve hours
    assert "at most 2 a day" in refused.json()["detail"] and "hours." in refused.json()["detail"]


async def test_one_address_is_limited_whatever_customer_or_forwarded_address_it_claims(stack: Stack) -> None:
    customers = members(stack, 3)
    links = [await link_for(stack, customer) for customer in customers]
    async with api_process(stack, peer="198.51.100.7", chat_messages_per_address_minute=2) as script:
        # A client that is no proxy of ours cannot choose its address by a header.
        for n in range(2):
            assert (await send(script, links[n], "Opening hours?", forwarded=f"203.0.113.{n}")).status_code == 200
        refused = await send(script, links[2], "Opening hours?", forwarded="203.0.113.3")
        assert refused.status_code == 429
        assert "from your network address: at most 2 a minute" in refused.json()["detail"]
    assert customer_lines(stack, customers[2]) == 0

    # Behind a proxy the settings name, each client is the address the proxy forwarded for: the last one it names
    # that is no proxy of ours (what a client wrote into the header itself comes before it, and does not count).
    async with api_process(
        stack, peer="10.1.2.3", trusted_proxies="10.0.0.0/8", chat_messages_per_address_minute=1
    ) as proxied:
        assert (await send(proxied, links[2], "Opening hours?", "203.0.113.50")).status_code == 200
        assert (await send(proxied, links[2], "And the address?", "203.0.113.50, 203.0.113.51")).status_code == 200
        assert (await send(proxied, links[2], "And the Wi-Fi?", "203.0.113.50")).status_code == 429
        assert (await send(proxied, links[2], "Parking?", "10.9.9.9, 203.0.113.51, 10.0.0.1")).status_code == 429


def open_days(engine: Engine, count: int) -> list[date]:
    """The next days Amsterdam is open, from the day after tomorrow."""
    with Session(engine) as session:
        location = session.get(Location, "ams")
        assert location is not None
        hours = OpeningHours(location.time_zone, location.business_hours, frozenset(location.closures))
    day, found = datetime.now(UTC).date() + timedelta(days=2), list[date]()
    while len(found) < count:
        if hours.windows(day):
            found.append(day)
        day += timedelta(days=1)
    return found


def tickets_of(engine: Engine, customer: Customer) -> list[str]:
    """The team's briefs of the customer's chat tickets."""
    tickets = select(Ticket.id).where(col(Ticket.conversation_id) == f"chat:{customer.id}")
    notes = select(TicketComment).where(col(TicketComment.ticket_id).in_(tickets), col(TicketComment.public).is_(False))
    with Session(engine) as session:
        return [unescape(comment.body_html) for comment in session.exec(notes)]


async def test_over_its_booking_cap_the_ai_buys_nothing_and_hands_over(stack: Stack) -> None:
    [member] = members(stack, 1)
    link = await link_for(stack, member)
    first, second = open_days(stack.engine, 2)
    bought = await send(stack.http, link, f"Can I get a day pass for {first.isoformat()}?")
    assert bought.status_code == 200 and bought.json()["status"] == "open"
    over = await send(stack.http, link, f"And a day pass for {second.isoformat()} as well, please.")
    answer = over.json()
    assert answer["status"] == "escalated"
    assert "I can't make more bookings for you myself" in answer["reply_html"]
    assert "follow up by email" in answer["reply_html"]
    with Session(stack.engine) as session:
        by_the_ai = select(Booking).where(col(Booking.customer_id) == member.id, col(Booking.request_key).is_not(None))
        passes = session.exec(by_the_ai).all()
    assert [(booking.kind, booking.starts_at.date()) for booking in passes] == [("day_pass", first)]  # not the second
    [brief] = tickets_of(stack.engine, member)
    assert "booking_limit" in brief and "at most 1 bookings and day passes in one conversation" in brief


async def test_a_weekly_booking_over_the_cap_books_what_it_may_says_so_and_hands_over_the_rest(stack: Stack) -> None:
    [member] = members(stack, 1)
    link = await link_for(stack, member)
    days = open_days(stack.engine, 14)
    # A weekday open two weeks running, no later than its next occurrence ("every Monday": the coming one).
    day = next(day for day in days[:5] if day + timedelta(weeks=1) in days)
    proposed = await send(stack.http, link, f"Could I have a meeting room every {day:%A} from 14:00 to 16:00 for 2 "
                                            "weeks?")  # fmt: skip
    assert "Shall I book" in proposed.json()["reply_html"], proposed.json()
    answer = (await send(stack.http, link, "Yes please")).json()
    assert answer["status"] == "escalated"
    assert "is booked for you" in answer["reply_html"] and day.isoformat() in answer["reply_html"]
    assert "I can't make more bookings for you myself" in answer["reply_html"]
    with Session(stack.engine) as session:
        by_the_ai = select(Booking).where(col(Booking.customer_id) == member.id, col(Booking.request_key).is_not(None))
        [booked] = session.exec(by_the_ai).all()  # the first week; a person books the second
    assert booked.starts_at.astimezone(ZoneInfo("Europe/Amsterdam")).date() == day


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    async with fake_openai(free_port()) as fake:
        yield fake


async def test_once_the_monthly_model_budget_is_spent_the_team_answers_and_no_model_is_called(
    stack: Stack, settings: Settings, llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    [member] = members(stack, 1)
    with session_scope(stack.engine) as session:  # this month's calls so far: the budget of 5 dollars and more
        session.add(
            ModelSpend(
                id="earlier",
                location_id="ams",
                at=datetime.now(UTC),
                purpose="conversation",
                reference="chat:someone",
                cost_usd=5.01,
            )
        )
    model = settings.model_copy(
        update={"llm_model": "openai/gpt-4o-mini", "llm_api_base": llm.base_url, "llm_monthly_budget_usd": 5.0}
    )
    async with worker_for(stack.client, stack.engine, model) as worker:
        link = await link_for(stack, member)
        async with api_process(stack, task_queue=worker.task_queue) as api:
            answer = (await send(api, link, "What are your opening hours?")).json()
    assert answer["status"] == "escalated"
    assert "I've passed it to our team" in answer["reply_html"] and "follow up by email" in answer["reply_html"]
    assert llm.requests == []  # no model was called, for the answer or for anything else
    [brief] = tickets_of(stack.engine, member)
    month = datetime.now(ZoneInfo("Europe/Amsterdam"))
    assert "ai_budget_spent" in brief
    assert (
        f"The AI's monthly model budget for Canal House Amsterdam is spent: $5.01 of $5.00 in {month:%B %Y}." in brief
    )
