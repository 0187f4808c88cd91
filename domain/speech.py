"""An answer as it is said on a call: sentences without markup, no URL (the links go by text message, and the
answer says so), and amounts, dates and times the way a person says them ("1,250 euros", "Tuesday, December 1",
"9 AM to 6 PM") — what a text-to-speech voice would otherwise read out symbol by symbol."""

import re
from datetime import date

from domain.content import LINK, html_to_text

# The target html_to_text writes after a link's words: "Pay here (https://…)".
_TARGET = re.compile(r" \(" + LINK.pattern.removeprefix(r"\b") + r"\)", re.IGNORECASE)
_CURRENCIES = {"€": "euros", "$": "dollars", "£": "pounds"}
_MONEY = re.compile(r"([€$£])\s?(\d[\d,]*)(?:\.(\d{2}))?")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_RANGE = re.compile(r"\b(\d{1,2}):(\d{2})\s*(?:-|\u2013|to)\s*(\d{1,2}):(\d{2})\b")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})\b")


def for_a_call(body_html: str) -> tuple[str, list[str]]:
    """What to say for an answer written in HTML — each link said as its words, or "the link" — and the links,
    to text instead (`texted` says so). Built on the linear HTML-to-text pass: the answer can echo what a customer
    wrote, and it is read inside the conversation's workflow."""
    lines = [line.strip() for line in html_to_text(body_html).splitlines() if line.strip()]
    # Each paragraph, list item or heading is a sentence of its own when said aloud.
    text = " ".join(line if line.endswith((".", "!", "?", ":")) else f"{line}." for line in lines)
    links = LINK.findall(text)
    text = LINK.sub("the link", _TARGET.sub("", text))  # a link's target, after its words, is not said
    return said(re.sub(r"\s+", " ", text).strip()), list(dict.fromkeys(links))


def texted(spoken: str, links: list[str], sent: bool) -> str:
    """The answer, and the sentence that says its links were texted — or could not be."""
    what, them = ("the links", "them") if len(links) > 1 else ("the link", "it")
    then = (f"I have sent you {what} by text message." if sent
            else f"I couldn't text you {what}; you'll find {them} in the member portal.")  # fmt: skip
    return f"{spoken}{'' if spoken.endswith(('.', '!', '?')) else '.'} {then}"


def said(text: str) -> str:
    """Amounts, ISO dates and clock times in words a voice says naturally."""
    text = _MONEY.sub(_money, text)
    text = _ISO_DATE.sub(_date, text)
    text = _RANGE.sub(lambda m: f"{_clock(int(m[1]), int(m[2]))} to {_clock(int(m[3]), int(m[4]))}", text)
    return _TIME.sub(lambda m: _clock(int(m[1]), int(m[2])), text)


def _money(found: re.Match[str]) -> str:
    whole, cents = found[2].rstrip(","), found[3]
    amount = f"{whole} {_CURRENCIES[found[1]]}"
    return amount if not cents or cents == "00" else f"{amount} {int(cents)}"


def _date(found: re.Match[str]) -> str:
    try:
        day = date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return found[0]
    return f"{day:%A}, {day:%B} {day.day}"


def _clock(hour: int, minute: int) -> str:
    if hour > 23 or minute > 59:
        return f"{hour}:{minute:02d}"
    suffix = "AM" if hour < 12 else "PM"
    shown = hour % 12 or 12
    return f"{shown} {suffix}" if minute == 0 else f"{shown}:{minute:02d} {suffix}"
