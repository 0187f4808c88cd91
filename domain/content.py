"""Pure helpers for message content: money, sanitised HTML and its plain-text twin."""

import html
import re

import nh3

_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
# What is read of a customer's message: its meaning is in its first part, and the time a message costs stays bounded.
READ_CHARS = 1_000

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


# The HTML-to-text pass: one scan from left to right that never looks back, so a hostile mail costs time in
# proportion to its size. (The standard library's HTMLParser is quadratic on unclosed tags before 3.13.)
_TAG = re.compile(r"<(/?)([a-zA-Z][^\s/>]*)([^>]*)>")
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_RAW_TEXT_END = {"script": re.compile(r"</script", re.IGNORECASE), "style": re.compile(r"</style", re.IGNORECASE)}
_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}


def as_html(text: str) -> str:
    """A model's answer as HTML: one written in HTML stays as written (sanitised where it is kept), plain text
    becomes paragraphs (`typed_as_html`)."""
    return text if re.search(r"<(p|ul|ol|br)\b", text, re.I) else typed_as_html(text)


def typed_as_html(text: str) -> str:
    """Text typed in a text box as HTML, all of it escaped: each paragraph its own, a line break kept as one."""
    return "".join(f"<p>{'<br>'.join(html.escape(line.strip()) for line in part.strip().splitlines())}</p>"
                   for part in re.split(r"\n\s*\n", text) if part.strip())  # fmt: skip


def html_to_text(body_html: str) -> str:
    """A readable plain-text alternative for the email's text part and the timeline: links as "text (url)",
    paragraphs, list items, headings and quotes apart by a blank line, `<br>` a line break; scripts and styles
    dropped. Linear in the length of the HTML, whatever it holds."""
    out: list[str] = []
    links: list[str | None] = []  # the targets of the links open at this point
    last_close = body_html.rfind(">")  # after it, no tag can end: the rest is text
    at = 0
    while (start := body_html.find("<", at)) >= 0 and start < last_close:
        out.append(unescape(body_html[at:start]))
        tag = _TAG.match(body_html, start)
        if tag is None:
            at = _after_markup(body_html, start, out)
            continue
        closing, name, attributes = tag[1], tag[2].lower(), tag[3]
        at = tag.end()
        if closing:
            if name == "a" and links:
                target = links.pop()
                out.append(f" ({target})" if target else "")
            elif name in _BLOCKS:
                out.append("\n\n")
        elif name == "br":
            out.append("\n")
        elif name == "a":
            href = _HREF.search(attributes)
            links.append(unescape(next(part for part in href.groups() if part is not None)) if href else None)
        elif name in _RAW_TEXT_END and not attributes.endswith("/"):
            end = _RAW_TEXT_END[name].search(body_html, at)
            at = len(body_html) if end is None else body_html.find(">", end.end()) + 1 or len(body_html)
    out.append(unescape(body_html[at:]))
    return _one_blank_line("".join(out)).strip()


def _after_markup(body_html: str, start: int, out: list[str]) -> int:
    """Past a comment, a declaration (`<!DOCTYPE …>`) or a processing instruction; a `<` that starts none of
    them is text."""
    if body_html.startswith("<!--", start):
        end = body_html.find("-->", start + 4)
        return len(body_html) if end < 0 else end + 3
    if body_html.startswith(("<!", "<?", "</"), start):
        return body_html.find(">", start) + 1  # there is one: `start` is before the last
    out.append("<")
    return start + 1


def _one_blank_line(text: str) -> str:
    kept: list[str] = []
    for line in text.split("\n"):
        if line.strip() or (kept and kept[-1]):
            kept.append(line if line.strip() else "")
    return "\n".join(kept)


# Numeric character references beyond Unicode (9 significant digits or more): the standard library's unescape
# would convert every digit to an integer first, and refuses more than 4,300 of them.
_HUGE_CHARREF = re.compile(r"&#(?:[xX]0*+[0-9a-fA-F]{9,}+|0*+[0-9]{9,}+);?")
_ZEROS_CHARREF = re.compile(r"&#([xX]?)0{8,}+")


def unescape(text: str) -> str:
    """HTML's character references (`&amp;`, `&#233;`) as the characters they stand for, in linear time."""
    return html.unescape(_ZEROS_CHARREF.sub(r"&#\g<1>0", _HUGE_CHARREF.sub("\ufffd", text)))


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
