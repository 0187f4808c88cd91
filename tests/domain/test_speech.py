"""An answer said on a call: links become words (their targets go by text message), each paragraph or list item
a sentence, amounts, dates and times as a person says them — and in linear time, since the answer can echo
hostile text and is read inside the conversation's workflow."""

from collections.abc import Callable

import pytest

from domain.speech import for_a_call
from tests.inbound.test_hostile_text import HTML, SIZE, assert_linear


def test_links_are_said_as_their_words_and_collected_to_be_texted() -> None:
    spoken, links = for_a_call(
        "<p>Invoice AMS-1 of €1,250.00 was due on 2026-11-20.</p><ul><li>Pay "
        '<a href="https://pay.example/1?a=1&amp;b=2">here</a></li><li>Or see https://www.example.com/x</li></ul>'
        '<p>Open 09:00-18:00: <a href="https://a.example/x">https://a.example/x</a></p>'
    )
    assert spoken == (
        "Invoice AMS-1 of 1,250 euros was due on Friday, November 20. Pay here. Or see the link. "
        "Open 9 AM to 6 PM: the link."
    )
    assert links == ["https://pay.example/1?a=1&b=2", "https://www.example.com/x", "https://a.example/x"]


@pytest.mark.parametrize("family", HTML.values(), ids=HTML.keys())
def test_an_answer_is_made_speech_in_linear_time(family: Callable[[int], str]) -> None:
    assert_linear(for_a_call, family, SIZE)
