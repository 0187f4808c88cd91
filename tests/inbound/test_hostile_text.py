"""Hostile text costs time in proportion to its size: every function that reads what a customer or a stranger
wrote (HTML, a reply, its quotes, the words the engine looks for) is given adversarial families of input — many
unclosed tags, attribute quotes that never close, deep nesting, long runs of one character, thousands of quoted
lines — and four times the input must take at most about four times as long (quadratic code takes sixteen)."""

import gc
import time
from collections.abc import Callable
from datetime import date
from email.message import EmailMessage

import pytest

from conversation.offline import detect_intent
from conversation.policy import triggered
from conversation.understanding import search_words
from domain.content import html_to_text, spoken_and_links, unescape
from domain.dates import mentioned_day
from domain.opt_out import asks_to_opt_out
from inbound.mail import TEXT_PARSED_MAX_CHARS, parse, reply_text, without_quoted
from models.messages import AgentType

GROWTH = 4  # the larger input is this many times the smaller
RATIO = 8  # time(4n) / time(n): linear is 4, quadratic 16; halfway (on a log scale) leaves room for a busy machine
ROUNDS = 5
SIZE = 20_000  # characters: enough for quadratic code to show (it takes sixteen times as long)

HTML = {
    "unclosed anchors": lambda n: "<a " * (n // 3),
    "unclosed href quotes": lambda n: '<a href="' * (n // 9),
    "unclosed href quotes, closed at the end": lambda n: '<a href="' * (n // 9) + '">',
    "nested links": lambda n: '<a href="https://x.example/">' * (n // 60) + "x" + "</a>" * (n // 60),
    "deep nesting": lambda n: "<blockquote><div>" * (n // 34) + "x" + "</div></blockquote>" * (n // 34),
    "lone angle brackets": lambda n: "<" * n + ">",
    "long line of >": lambda n: ">" * n,
    "unclosed comments": lambda n: "<!--" * (n // 4) + ">",
    "unclosed scripts": lambda n: "<script>" * (n // 8) + ">",
    "numeric references": lambda n: "&#" + "1" * n + ";",
    "zero-padded references": lambda n: "&#" + "0" * n + "65;",
    "end tags without names": lambda n: "</" * (n // 2) + ">",
    "paragraphs": lambda n: "<p>a</p>\n\n" * (n // 10),
}
TEXT = {
    "one long line": lambda n: "x" * n,
    "spaces": lambda n: "a" + " " * n + "b",
    "blank lines": lambda n: "a" + "\n \n" * (n // 3) + "b",
    "quoted lines": lambda n: "Thanks!\n" + "> On Monday, Canal House wrote:\n" * (n // 32),
    "intro words": lambda n: "On " * (n // 3),
    "signature dashes": lambda n: "-- a\n" * (n // 5),
    "header words": lambda n: "Von: a\nAn: b\n" * (n // 12),
    "words": lambda n: "please stop contacting me tomorrow refund " * (n // 42),
    "digits": lambda n: "1" * n,
    "links": lambda n: "https://" * (n // 8),
}
OURS = "\n".join(f"Line {number} of the message we sent." for number in range(500))
TODAY = date(2026, 12, 4)


def seconds(read: Callable[[str], object], text: str) -> float:
    """The best of a few runs, in this thread's CPU time (on a machine with more runnable work than cores, a run
    longer than the scheduler's slice is paused and a shorter one is not: the clock on the wall would count the
    pause), the garbage collector held off (not run first: a full collection, with the model loaded, costs more than
    most runs): the noise of a shared machine is in the slow ones."""
    gc.disable()
    try:
        best = float("inf")
        for _ in range(3):
            started = time.thread_time()
            read(text)
            best = min(best, time.thread_time() - started)
        return best
    finally:
        gc.enable()


def assert_linear(read: Callable[[str], object], family: Callable[[int], str], size: int) -> None:
    """Four times the input takes at most ~four times as long: inputs of half the size and twice it, each timed in a few
    rounds and the fastest kept, as a busy machine only ever slows a measurement down."""
    small, large = family(size // 2), family(size // 2 * GROWTH)
    fastest_small = fastest_large = float("inf")
    ratios = []
    for _ in range(ROUNDS):
        fastest_small = min(fastest_small, seconds(read, small))
        fastest_large = min(fastest_large, seconds(read, large))
        ratio = fastest_large / max(fastest_small, 1e-6)
        if ratio <= RATIO:
            return
        ratios.append(round(ratio, 2))
    pytest.fail(f"time grows faster than the input: four times the input took {ratios} times as long")


@pytest.mark.parametrize("family", HTML.values(), ids=HTML.keys())
def test_html_becomes_text_in_linear_time(family: Callable[[int], str]) -> None:
    assert_linear(html_to_text, family, SIZE)


def test_text_of_html_keeps_its_shape() -> None:
    html = (
        "<!DOCTYPE html><html><head><style>p { color: red }</style></head><body>"
        '<h1>Hello</h1><p>Pay <a href="https://pay.example/1?a=1&amp;b=2">here</a> &amp; thanks.</p>'
        "<ul><li>one</li><li>two</li></ul><p>a<br>b<br/>c</p><blockquote>quoted</blockquote><p></p><p></p>"
        "<!-- a comment --><p>1 < 2 &#233;&#x41;&#99999999999;&#" + "0" * 5000 + "66;</p></body></html>"
    )
    assert html_to_text(html) == (
        "Hello\n\nPay here (https://pay.example/1?a=1&b=2) & thanks.\n\none\n\ntwo\n\na\nb\nc\n\nquoted\n\n"
        "1 < 2 éA\ufffdB"
    )
    assert unescape("&#" + "9" * 6000 + ";") == "\ufffd"  # the standard library alone raises ValueError


@pytest.mark.parametrize("family", [*TEXT.values(), *HTML.values()], ids=[*TEXT.keys(), *HTML.keys()])
def test_our_pasted_message_is_cut_in_linear_time(family: Callable[[int], str]) -> None:
    assert_linear(lambda reply: without_quoted(reply, OURS), family, SIZE)


def test_thousands_of_quoted_lines_of_ours_are_cut_in_linear_time() -> None:
    def pasted(size: int) -> str:
        return "Paid, thanks.\n" + "\n".join(f"> {line}" for line in OURS.splitlines()) * (size // len(OURS))

    assert_linear(lambda reply: without_quoted(reply, OURS * (len(reply) // len(OURS))), pasted, 200_000)
    assert without_quoted(pasted(50_000), OURS) == "Paid, thanks."


@pytest.mark.parametrize("family", TEXT.values(), ids=TEXT.keys())
def test_the_reply_parsers_read_a_bounded_part_of_the_text(family: Callable[[int], str]) -> None:
    """The reply parsing libraries are far from linear; they are handed the first part of a mail only, with
    lines and blank runs bounded, so the time a reply takes has a ceiling whatever its size."""
    assert_linear(reply_text, family, 2 * TEXT_PARSED_MAX_CHARS)
    started = time.perf_counter()
    reply_text(family(4 * TEXT_PARSED_MAX_CHARS))
    assert time.perf_counter() - started < 3.0


def test_a_long_reply_keeps_its_lines_whole() -> None:
    paragraph = "I would like to book the big room for the whole team next week, " * 20
    assert reply_text(f"{paragraph}\n\nOn Monday, Canal House <ai@canalhouse.example> wrote:\n> Hello") == (
        paragraph.strip()
    )


def mail_with(html: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "ada@mail.example", "reply+token@canalhouse.example", "Re"
    message.set_content(html, subtype="html")
    return bytes(message)


@pytest.mark.parametrize("family", HTML.values(), ids=HTML.keys())
def test_a_hostile_html_mail_is_read_in_linear_time(family: Callable[[int], str]) -> None:
    assert_linear(lambda html: parse(mail_with(html)), family, SIZE)


WORDS: dict[str, Callable[[str], object]] = {
    "opt-out": asks_to_opt_out,
    "dates": lambda text: mentioned_day(text, TODAY),
    "escalation": lambda text: triggered(text, [text], 0),
    "intents": lambda text: detect_intent(AgentType.due_invoice, text),
    "members' chat intents": lambda text: detect_intent(None, text),
    "links": spoken_and_links,
    "search words": search_words,
}


@pytest.mark.parametrize("read", WORDS.values(), ids=WORDS.keys())
@pytest.mark.parametrize("family", TEXT.values(), ids=TEXT.keys())
def test_the_words_a_customer_writes_are_read_in_linear_time(
    read: Callable[[str], object], family: Callable[[int], str]
) -> None:
    assert_linear(read, family, SIZE)
