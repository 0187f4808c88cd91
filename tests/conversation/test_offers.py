"""A place proposed is booked only on the customer's yes, within the channel's confirmation window: what a turn
offers, what a reply takes of it, and how long it stays open."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conversation.model import messages
from conversation.questions import accepted
from conversation.turn import offered, still_open
from models.messages import Channel, Offer, ToolRequest, ToolResult, ToolStep

FREE: dict[str, Any] = {
    "date": "2026-06-03",
    "from": "10:00",
    "until": "12:00",
    "available": [
        {"resource_id": "ams-room-1", "name": "Harbour Room", "seats": 6},
        {"resource_id": "ams-room-2", "name": "Loft", "seats": 10},
    ],
}


def step(name: str, content: dict[str, Any], ok: bool = True) -> ToolStep:
    return ToolStep(request=ToolRequest(call_id=name, name=name), result=ToolResult(name=name, ok=ok, content=content))


def test_what_the_tools_found_free_is_offered_with_the_booking_a_yes_makes() -> None:
    [harbour, loft] = offered([step("check_availability", FREE)])
    assert (harbour.name, loft.name) == ("Harbour Room", "Loft")
    [booking] = harbour.bookings
    assert booking.name == "book_resource"
    assert booking.arguments == {"resource_id": "ams-room-1", "date": "2026-06-03", "start": "10:00", "end": "12:00"}


def test_a_weekly_booking_offers_the_place_free_on_most_days_with_a_booking_for_each() -> None:
    next_week = {**FREE, "date": "2026-06-10", "available": [FREE["available"][1]]}
    [loft, harbour] = offered([step("check_availability", FREE), step("check_availability", next_week)])
    assert (loft.name, [booking.arguments["date"] for booking in loft.bookings]) == (
        "Loft",
        ["2026-06-03", "2026-06-10"],
    )
    assert [booking.arguments["date"] for booking in harbour.bookings] == ["2026-06-03"]


def test_a_turn_that_booked_or_bought_offers_nothing_more() -> None:
    assert offered([step("check_availability", FREE), step("buy_day_pass", {"date": "2026-06-03"})]) == []
    assert offered([step("check_availability", FREE, ok=False)]) == []


OFFERS = offered([step("check_availability", FREE)])


@pytest.mark.parametrize(
    ("message", "taken"),
    [
        ("Yes please!", "Harbour Room"),
        ("Ja, graag", "Harbour Room"),
        ("Oui, parfait", "Harbour Room"),
        ("sí, vale", "Harbour Room"),
        ("The Loft would be better", "Loft"),  # the one named, not the one proposed
        ("No thanks", None),
        ("Not the Loft", None),
        ("What does the Harbour Room cost?", None),  # a question, not a yes
        ("Nee, laat maar", None),
        ("What are your opening hours?", None),  # about something else
        ("ok but first tell me whether there is a projector, a whiteboard and coffee in it please", None),  # long
    ],
)
def test_a_reply_takes_the_place_it_names_or_with_a_plain_yes_the_one_proposed(message: str, taken: str | None) -> None:
    found = accepted(OFFERS, message)
    assert (found.name if found else None) == taken


def test_an_offer_waits_minutes_in_a_chat_or_a_call_and_hours_by_email() -> None:
    at = datetime(2026, 6, 2, 9, tzinfo=UTC)
    offers: list[Offer] = OFFERS
    assert still_open(offers, at, at + timedelta(minutes=29), Channel.chat) == offers
    assert still_open(offers, at, at + timedelta(minutes=31), Channel.chat) == []
    assert still_open(offers, at, at + timedelta(minutes=31), Channel.voice) == []
    assert still_open(offers, at, at + timedelta(hours=23), Channel.ai_email) == offers
    assert still_open(offers, at, at + timedelta(hours=25), Channel.ai_email) == []
    assert still_open(offers, None, at, Channel.chat) == []


def test_a_model_reads_what_was_offered_with_the_arguments_a_yes_books_it_with() -> None:
    [system, data] = messages({"customer": "Ada"}, [], OFFERS)
    assert "book it with book_resource, once for each of its arguments" in system["content"]
    shown = json.loads(data["content"].removeprefix("DATA\n```json\n").removesuffix("\n```"))
    assert shown["offered"][1] == {"name": "Loft", "book_resource": [OFFERS[1].bookings[0].arguments]}
    assert "offered" not in json.loads(messages({"customer": "Ada"}, [])[1]["content"][12:-4])
