"""Which of our other locations a customer's message names: by its address, or its name as a name is written —
never by a word that only looks like it."""

import pytest

from domain.places import named_location

AUSTIN = (("Eastside Works Austin", "1100 E 6th St, Austin, TX 78702"),)


@pytest.mark.parametrize(
    "text, named",
    [
        ("Any desks free in Austin on Saturday?", "Eastside Works Austin"),
        ("is the austin one open saturday", "Eastside Works Austin"),
        ("Can I book a room at Eastside for Friday?", "Eastside Works Austin"),
        ("Do the Works have a phone booth?", "Eastside Works Austin"),
        ("Works for me. Is a desk free Friday?", None),  # a sentence's first word
        ("Friday works if a desk is free, whatever works for you", None),  # a word, not a name
        ("Wat kost een flexplek hier in Amsterdam?", None),  # the customer's own
    ],
)  # fmt: skip
def test_another_location_is_named_by_its_address_or_as_a_name_is_written(text: str, named: str | None) -> None:
    assert named_location(text, AUSTIN) == named
