"""Pure helpers for message content: money, sanitised HTML and its plain-text twin."""

import html
import re

import nh3

_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}

# What an operator may use in an email body; everything else (scripts, styles, handlers) is dropped.
_ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "a", "blockquote", "h3", "h4"}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def format_money(amount_cents: int, currency: str) -> str:
    """`125000, "EUR"` → `€1,250.00`; unknown currencies keep their code: `CHF 1,250.00`."""
    amount = f"{amount_cents / 100:,.2f}"
    symbol = _SYMBOLS.get(currency.upper())
    return f"{symbol}{amount}" if symbol else f"{currency.upper()} {amount}"


def sanitize_html(body_html: str) -> str:
    """Allow-list sanitising, so what an operator previews is exactly what is sent."""
    return nh3.clean(
        body_html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )


def html_to_text(body_html: str) -> str:
    """A readable plain-text alternative for the email's text part and the timeline."""
    text = re.sub(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', r"\2 (\1)", body_html, flags=re.S)
    text = re.sub(r"<br\s*/?>", "\n", text)
    text = re.sub(r"</(p|li|h3|h4|blockquote)>", "\n\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return html.unescape(text).strip()


def line_break_problem(field: str, value: str) -> str | None:
    """Header-bound text (a subject, a name, an address) must stay on one line: a CR or LF in it would
    start a new mail header (a `Bcc:` nobody approved)."""
    if "\r" in value or "\n" in value:
        return f"The {field} cannot contain line breaks (CR or LF); keep it on one line."
    return None


LINK = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]", re.IGNORECASE)


def spoken_and_links(script: str) -> tuple[str, list[str]]:
    """A call script as it is said, and the links in it. Nobody can take down a URL read aloud, so each is
    said as "the link" and the links go out by text message; the script then says so."""
    links = list(dict.fromkeys(LINK.findall(script)))
    if not links:
        return script, []
    spoken = LINK.sub("the link", script).strip()
    return f"{spoken} I have sent you the link{'s' if len(links) > 1 else ''} by text message.", links
