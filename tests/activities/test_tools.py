"""The conversation's tools on the demo space, on both databases: what is free and when (in the location's time
zone and hours), booking it once however often asked and never twice for the same desk, day passes with their
payment link and Wi-Fi, prices, the FAQ by the database's full-text search, invoices with their line items, and
signed portal links. Bad requests come back as sentences, never as failures."""

import asyncio
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from activities.tools import TOOLS, ToolActivities, in_words, tool_schemas
from activities.tools.context import BookingCaps, PortalLinks
from conversation.turn import offered
from demo.seed import seed_demo_data
from domain import portal_links
from domain.business_hours import OpeningHours
from models.db import session_scope
from models.messages import Channel, ConversationStatus, ToolCall, ToolRequest, ToolResult, ToolStep
from models.tables import Booking, Conversation, Customer, Invoice, Location
from settings import Settings

SECRET = "portal-test-secret"
LINKS = PortalLinks(SECRET, timedelta(days=14))


class Cancelled(list[str]):
    """The proposals an opt-out asked to cancel (the worker signals their workflows; the journey tests see that)."""

    async def __call__(self, action_ids: list[str]) -> None:
        self.extend(action_ids)


@pytest.fixture
def tools(engine: Engine, settings: Settings) -> ToolActivities:
    seed_demo_data(engine, customers=12)
    caps = BookingCaps(settings.ai_bookings_per_conversation, settings.ai_bookings_per_customer_day)
    return ToolActivities(engine, LINKS, caps, Cancelled())


def use(tools: ToolActivities, name: str, key: str = "wf:1", customer: str = "ams-c001",
        conversation: str | None = None, **arguments: Any) -> ToolResult:  # fmt: skip
    call = ToolCall(request_key=key, location_id="ams", customer_id=customer, name=name, arguments=arguments,
                    conversation_id=conversation)  # fmt: skip
    return asyncio.run(tools.use_tool(call))


def open_day(engine: Engine, after_days: int = 2, weekday: int | None = None) -> date:
    """A day the location is open, at least `after_days` from now (and on `weekday`, if given)."""
    with Session(engine) as session:
        location = session.get(Location, "ams")
        assert location is not None
        hours = OpeningHours(location.time_zone, location.business_hours, frozenset(location.closures))
    day = datetime.now(UTC).date() + timedelta(days=after_days)
    while not hours.windows(day) or (weekday is not None and day.weekday() != weekday):
        day += timedelta(days=1)
    return day


def test_availability_is_in_the_locations_hours_and_never_in_the_past(engine: Engine, tools: ToolActivities) -> None:
    day = open_day(engine)
    found = use(tools, "check_availability", kind="desk", date=day.isoformat())
    assert found.ok, found.error
    assert (found.content["from"], found.content["until"]) == ("09:00", "18:00")  # Amsterdam's hours
    assert len(found.content["available"]) == 8

    sunday = open_day(engine, weekday=0) - timedelta(days=1)
    closed = use(tools, "check_availability", kind="desk", date=sunday.isoformat())
    assert not closed.ok and "is closed on Sunday" in (closed.error or "") and "next open" in (closed.error or "")
    late = use(tools, "check_availability", kind="meeting_room", date=day.isoformat(), start="17:00", end="20:00")
    assert "outside the opening hours" in (late.error or "") and "09:00-18:00" in (late.error or "")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    past = use(tools, "check_availability", kind="desk", date=yesterday.isoformat(), start="10:00", end="11:00")
    assert not past.ok and ("in the past" in (past.error or "") or "closed" in (past.error or ""))
    wrong = use(tools, "check_availability", kind="sofa", date="tomorrow")
    assert not wrong.ok and "kind" in (wrong.error or "") and "date" in (wrong.error or "")
    assert "no tool named" in (use(tools, "launch_rocket").error or "")


def test_a_booking_is_made_once_per_request_and_a_taken_desk_is_refused(engine: Engine, tools: ToolActivities) -> None:
    day = open_day(engine).isoformat()
    booked = use(tools, "book_resource", key="wf:call-1", resource_id="ams-desk-3", date=day, start="10:00",
                 end="12:00")  # fmt: skip
    assert booked.ok, booked.error
    assert booked.content["wifi_network"] == "CanalHouse-Members" and booked.content["address"].startswith(
        "Herengracht"
    )
    portal_links.verify(SECRET, booked.content["booking_link"], datetime.now(UTC))
    again = use(tools, "book_resource", key="wf:call-1", resource_id="ams-desk-3", date=day, start="10:00",
                end="12:00")  # fmt: skip
    assert again.content["booking_id"] == booked.content["booking_id"]  # a retried activity: the same booking
    clash = use(tools, "book_resource", key="wf:call-2", customer="ams-c002", resource_id="ams-desk-3", date=day,
                start="11:00", end="13:00")  # fmt: skip
    assert not clash.ok and "Desk 3 is already taken then" in (clash.error or "") and "Desk 1" in (clash.error or "")
    with Session(engine) as session:
        assert len(session.exec(select(Booking).where(col(Booking.request_key).is_not(None))).all()) == 1


def test_two_conversations_racing_for_the_last_desk_get_one_booking(engine: Engine, tools: ToolActivities) -> None:
    day = open_day(engine).isoformat()
    for n in range(1, 8):  # every desk but the last is taken that morning, by seven other members
        assert use(tools, "book_resource", key=f"other:{n}", customer=f"ams-c{n + 4:03d}", resource_id=f"ams-desk-{n}",
                   date=day, start="09:00", end="13:00").ok  # fmt: skip
    results: list[ToolResult] = []
    start = threading.Barrier(2)

    def race(customer: str) -> None:
        start.wait()
        results.append(use(tools, "book_resource", key=f"race:{customer}", customer=customer,
                           resource_id="ams-desk-8", date=day, start="10:00", end="11:00"))  # fmt: skip

    threads = [threading.Thread(target=race, args=(customer,)) for customer in ("ams-c003", "ams-c004")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(result.ok for result in results) == [False, True]
    [refused] = [result for result in results if not result.ok]
    assert "already taken" in (refused.error or "") and "Nothing of that kind is free then" in (refused.error or "")


def open_conversation(engine: Engine, conversation_id: str, customer: str) -> None:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        session.add(
            Conversation(
                id=conversation_id,
                location_id="ams",
                customer_id=customer,
                channel=Channel.chat,
                subject="Members' chat",
                status=ConversationStatus.open,
                started_at=now,
                updated_at=now,
                opened_at=now,
            )
        )


def made_by_the_ai(engine: Engine, customer: str) -> list[str | None]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Booking.request_key)
                .where(col(Booking.customer_id) == customer, col(Booking.request_key).is_not(None))
                .order_by(col(Booking.request_key))
            )
        )


def test_the_ai_makes_at_most_so_many_bookings_per_conversation_and_per_customer_day(
    engine: Engine, tools: ToolActivities
) -> None:
    day = open_day(engine).isoformat()

    def book(key: str, desk: int, conversation: str, customer: str = "ams-c001", hour: int = 9) -> ToolResult:
        return use(
            tools,
            "book_resource",
            key=key,
            customer=customer,
            conversation=conversation,
            resource_id=f"ams-desk-{desk}",
            date=day,
            start=f"{hour:02}:00",
            end=f"{hour + 1:02}:00",
        )

    open_conversation(engine, "chat:ams-c001", "ams-c001")
    assert all(book(f"a:{n}", n, "chat:ams-c001").ok for n in (1, 2, 3))
    fourth = book("a:4", 4, "chat:ams-c001")
    assert (fourth.ok, fourth.limit_reached) == (False, True)
    assert "at most 3 bookings and day passes in one conversation" in (fourth.error or "")
    assert book("a:3", 3, "chat:ams-c001").ok  # a retried use finds its booking: it never counts twice

    # Another conversation of the same customer, the same day: two more, then the customer's day is full.
    open_conversation(engine, "conversation:elsewhere", "ams-c001")
    assert use(tools, "buy_day_pass", key="b:1", conversation="conversation:elsewhere", date=day).ok
    assert book("b:2", 5, "conversation:elsewhere").ok
    sixth = use(tools, "buy_day_pass", key="b:3", conversation="conversation:elsewhere", date=day)
    assert (sixth.ok, sixth.limit_reached) == (False, True)
    assert "at most 5 bookings and day passes for a customer in a day" in (sixth.error or "")
    assert made_by_the_ai(engine, "ams-c001") == ["a:1", "a:2", "a:3", "b:1", "b:2"]  # nothing refused was made
    with Session(engine) as session:
        assert (
            len(
                session.exec(
                    select(Invoice).where(
                        col(Invoice.customer_id) == "ams-c001", col(Invoice.id).startswith("day-pass-")
                    )
                ).all()
            )
            == 1
        )

    # A conversation that opens again (the customer wrote after it ended) counts from its reopening.
    open_conversation(engine, "chat:ams-c002", "ams-c002")
    assert all(book(f"c:{n}", n, "chat:ams-c002", "ams-c002").ok for n in (6, 7, 8))
    with session_scope(engine) as session:
        reopened = session.get(Conversation, "chat:ams-c002")
        assert reopened is not None
        reopened.opened_at = datetime.now(UTC)
    assert book("c:4", 1, "chat:ams-c002", "ams-c002", hour=10).ok


def test_tool_uses_racing_for_a_customers_last_booking_get_one(engine: Engine, tools: ToolActivities) -> None:
    day = open_day(engine).isoformat()
    open_conversation(engine, "chat:ams-c003", "ams-c003")
    for n in (1, 2):
        assert use(
            tools,
            "book_resource",
            key=f"earlier:{n}",
            customer="ams-c003",
            conversation="chat:ams-c003",
            resource_id=f"ams-desk-{n}",
            date=day,
            start="09:00",
            end="10:00",
        ).ok
    results: list[ToolResult] = []
    start = threading.Barrier(2)

    def race(desk: int) -> None:
        start.wait()
        results.append(
            use(
                tools,
                "book_resource",
                key=f"race:{desk}",
                customer="ams-c003",
                conversation="chat:ams-c003",
                resource_id=f"ams-desk-{desk}",
                date=day,
                start="09:00",
                end="10:00",
            )
        )

    threads = [threading.Thread(target=race, args=(desk,)) for desk in (3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted((result.ok, result.limit_reached) for result in results) == [(False, True), (True, False)]
    assert len(made_by_the_ai(engine, "ams-c003")) == 3


def test_a_day_pass_comes_with_its_desk_wifi_and_payment_link(engine: Engine, tools: ToolActivities) -> None:
    day = open_day(engine)
    bought = use(tools, "buy_day_pass", key="wf:pass", customer="ams-c005", date=day.isoformat())
    assert bought.ok, bought.error
    assert bought.content["price"] == "€35.00" and bought.content["wifi_password"] == "tulips-and-bikes"
    assert (bought.content["from"], bought.content["until"]) == ("09:00", "18:00")
    link = portal_links.verify(SECRET, bought.content["payment_link"], datetime.now(UTC))
    assert (link.purpose, link.customer_id, link.reference) == ("pay_invoice", "ams-c005",
                                                                bought.content["invoice_number"])  # fmt: skip
    assert (
        use(tools, "buy_day_pass", key="wf:pass", customer="ams-c005", date=day.isoformat()).content == bought.content
    )
    with Session(engine) as session:
        invoice = session.exec(select(Invoice).where(col(Invoice.number) == bought.content["invoice_number"])).one()
    assert (invoice.amount_cents, invoice.customer_id) == (3500, "ams-c005")


def test_prices_location_and_the_faq(engine: Engine, tools: ToolActivities) -> None:
    prices = use(tools, "plans_and_prices").content
    assert [office["name"] for office in prices["private_offices"]] == [
        "Office 2.1 (canal view)", "Office 2.4", "Office 3.2"]  # fmt: skip
    assert prices["private_offices"][0]["monthly_price"] == "€950.00" and prices["day_pass"] == "€35.00"
    assert prices["plans"][0] == {"name": "Flex Desk", "monthly_price": "€250.00"}
    details = use(tools, "location_details").content
    assert details["opening_hours"]["mon"] == "09:00-18:00" and details["opening_hours"]["sun"] == "closed"

    paying = use(tools, "search_faq", query="How can I pay my invoices?").content["results"]
    assert paying[0]["question"] == "How do I pay an invoice?"  # "invoices" found "invoice": stemmed
    assert use(tools, "search_faq", query="day passes?").content["results"][0]["question"] == "Is there a day pass?"
    assert use(tools, "search_faq", query="parking for my helicopter").content["results"] == []


def test_another_location_is_looked_up_as_its_own_and_its_places_are_for_its_team_to_book(
    engine: Engine, tools: ToolActivities
) -> None:
    """A customer of Amsterdam asking about Austin: its details, prices and free places, in its hours, money and
    time zone — and nothing there offered to book from this conversation (its team books it)."""
    details = use(tools, "location_details", location="Austin").content
    assert details["name"] == "Eastside Works Austin" and details["opening_hours"]["sat"] == "10:00-14:00"
    assert [place["name"] for place in details["other_locations"]] == ["Canal House Amsterdam"]
    prices = use(tools, "plans_and_prices", location="eastside").content
    assert (prices["location"], prices["day_pass"], prices["plans"][0]) == (
        "Eastside Works Austin", "$30.00", {"name": "Hot Desk", "monthly_price": "$299.00"})  # fmt: skip
    assert prices["book_there"] == "https://portal.eastsideworks.example"
    assert "book_there" not in use(tools, "plans_and_prices").content

    saturday = open_day(engine, after_days=2)
    while saturday.weekday() != 5:
        saturday += timedelta(days=1)
    there = use(tools, "check_availability", location="Austin", kind="meeting_room", date=saturday.isoformat(),
                start="11:00", end="12:00", seats=8)  # fmt: skip
    assert there.ok, there.error
    assert (there.content["location"], there.content["time_zone"]) == ("Eastside Works Austin", "America/Chicago")
    assert [place["name"] for place in there.content["available"]] == ["Loft"]
    assert there.content["book_there"] == "https://portal.eastsideworks.example"
    assert offered([ToolStep(request=ToolRequest(call_id="a", name="check_availability"), result=there)]) == []
    late = use(tools, "check_availability", location="Austin", kind="desk", date=saturday.isoformat(),
               start="15:00", end="16:00")  # fmt: skip
    assert "outside the opening hours on Saturday: 10:00-14:00" in (late.error or "")
    home = use(tools, "check_availability", kind="desk", date=saturday.isoformat())
    assert "Canal House Amsterdam is closed on Saturday" in (home.error or "")

    elsewhere = use(tools, "book_resource", resource_id="atx-room-2", date=saturday.isoformat(), start="11:00",
                    end="12:00")  # fmt: skip
    assert "There is no resource 'atx-room-2' at Canal House Amsterdam" in (elsewhere.error or "")
    unknown = use(tools, "location_details", location="Paris")
    assert unknown.error == ("There is no location called 'Paris'; the locations are Canal House Amsterdam, "
                             "Eastside Works Austin.")  # fmt: skip


def test_invoices_with_line_items_and_signed_portal_links(engine: Engine, tools: ToolActivities) -> None:
    with Session(engine) as session:
        invoice = session.exec(select(Invoice).where(col(Invoice.location_id) == "ams")
                               .order_by(col(Invoice.id))).first()  # fmt: skip
        assert invoice is not None
        owner = session.get(Customer, invoice.customer_id)
        assert owner is not None
    found = use(tools, "invoice_details", customer=owner.id, invoice_number=invoice.number)
    [described] = found.content["invoices"]
    assert described["number"] == invoice.number and described["line_items"]
    assert sum(int(item["amount"].strip("€").replace(",", "").replace(".", "")) for item in described["line_items"]) \
        == invoice.amount_cents  # fmt: skip
    stranger = "ams-c002" if owner.id != "ams-c002" else "ams-c003"
    refused = use(tools, "invoice_details", customer=stranger, invoice_number=invoice.number)
    assert not refused.ok and f"has no invoice {invoice.number}" in (refused.error or "")

    link = use(tools, "portal_link", customer=owner.id, purpose="pay_invoice", invoice_number=invoice.number)
    url = link.content["link"]
    assert url.startswith("https://portal.canalhouse.example/pay-invoice?")
    assert portal_links.verify(SECRET, url, datetime.now(UTC)).reference == invoice.number
    with pytest.raises(portal_links.InvalidPortalLink, match="altered"):
        portal_links.verify(SECRET, url.replace(f"customer={owner.id}", f"customer={stranger}"), datetime.now(UTC))
    with pytest.raises(portal_links.InvalidPortalLink, match="expired"):
        portal_links.verify(SECRET, url, datetime.now(UTC) + timedelta(days=15))


def test_every_tool_is_offered_to_a_model_with_its_arguments() -> None:
    offered = {schema["function"]["name"]: schema["function"] for schema in tool_schemas()}
    assert offered.keys() == TOOLS.keys()
    assert set(offered["book_resource"]["parameters"]["required"]) == {"resource_id", "date", "start", "end"}


def test_a_message_from_an_unknown_address_buys_and_books_nothing_but_may_opt_out(
    engine: Engine, tools: ToolActivities
) -> None:
    day = open_day(engine).isoformat()

    def from_a_stranger(name: str, **arguments: Any) -> ToolResult:
        call = ToolCall(request_key=f"wf:{name}", location_id="ams", customer_id="ams-c005", name=name,
                        arguments=arguments, sender_known=False)  # fmt: skip
        return asyncio.run(tools.use_tool(call))

    refused = from_a_stranger("buy_day_pass", date=day)
    assert not refused.ok and "did not come from the customer's own email address" in (refused.error or "")
    assert from_a_stranger("check_availability", kind="desk", date=day).ok  # asking is fine
    with Session(engine) as session:
        assert not session.exec(select(Booking).where(col(Booking.customer_id) == "ams-c005")).all()
        assert from_a_stranger("opt_out").ok  # stopping what we send is honoured from anyone in the thread
        customer = session.get(Customer, "ams-c005")
        assert customer is not None
        session.refresh(customer)
        assert customer.opted_out


def test_a_tools_result_reads_in_words_a_field_to_a_line() -> None:
    found = {"date": "2026-12-08", "free": [{"name": "Loft", "seats": 10}, {"name": "Room 2", "seats": 4}],
             "opted_out": True, "cancelled_proposals": [], "note": None}  # fmt: skip
    assert in_words(found) == (
        "date: 2026-12-08\nfree: name Loft, seats 10; name Room 2, seats 4\nopted out: yes\ncancelled proposals: none\n"
        "note: none"
    )
    assert in_words({}) == "nothing"
