"""Which of the operator's locations a customer's message names ("any desks in Austin?"), beside the customer's own:
pure, so the offline engine's answers and the agents' share it."""

import re

# A word of a location's name or address, and where a sentence begins.
_PLACE_WORD = re.compile(r"[^\W\d_]{4,}")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)(?=\w)")


def named_location(text: str, places: tuple[tuple[str, str], ...]) -> str | None:
    """The name of the place of `places` (name, address) the message names: by a word of its address ("Austin",
    "Herengracht"), or of its name as a name is written — capitalised, not a sentence's first word ("any desks at
    Eastside?" but not "Works for me", "whatever works") — or in a message written all in small letters."""
    starts = {found.end() for found in _SENTENCE_START.finditer(text)}  # read whole: each pattern is linear in it
    words = list(_PLACE_WORD.finditer(text))
    said = {word.group().lower() for word in words}
    as_names = {word.group().lower() for word in words
                if text.islower() or (word.group()[0].isupper() and word.start() not in starts)}  # fmt: skip
    for name, address in places:
        if said & {word.lower() for word in _PLACE_WORD.findall(address)} or as_names & {
            word.lower() for word in _PLACE_WORD.findall(name)
        }:
            return name
    return None
