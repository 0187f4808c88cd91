"""An email that came home, read from its raw MIME with the standard library: who wrote, to whom, in which
thread, what is new in it, and whether a person wrote it at all.

- **What is new.** Mail clients quote the whole thread under (or over) the answer, in their own words and
  languages ("On … wrote:", "Von: … Gesendet:", "Le … a écrit :"). A reply-parsing library cuts the quoted
  history and the signature for every language it knows, then a quote finder cuts what is left of quoted
  blocks and their intro lines; HTML-only mail has its quotes found in the HTML first. The full text is kept
  beside the reply, so nothing the customer sent is lost to a wrong cut.
- **Who wrote it.** RFC 3834 says how automatic mail marks itself (`Auto-Submitted`), and the mail systems that
  predate it have their own marks (`X-Autoreply`, `Precedence: bulk`, a list's `List-Id`, an empty
  `Return-Path`). A delivery report (`multipart/report`) that says a delivery failed is a bounce, and names the
  message that bounced by its headers.
"""

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

import quotequail
from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES

from domain.content import html_to_text
from models.messages import InboundKind

# Every language the reply parser knows (one of its entries is a test fixture, not a language).
_PARSER = EmailReplyParser(languages=[language for language in MAIL_LANGUAGES if len(language) == 2])
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_SPACES = re.compile(r"\s+")
_AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
# How much of a mail the reply parsers read (the whole text is kept): enough for any reply a person writes.
TEXT_PARSED_MAX_CHARS = 32_000
HTML_PARSED_MAX_CHARS = 256_000
_LINE_CHARS = 200
# Where a long line was cut for the parsers: invisible marks they keep on both sides, taken out after.
_CONTINUED = "\u2063\n\u2063"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Bounce:
    """What a delivery report says about the message that could not be delivered."""

    message_ids: tuple[str, ...]  # of the message that bounced, from the report's copy of its headers
    recipient: str
    detail: str


@dataclass(frozen=True)
class InboundMail:
    message_id: str  # the Message-ID header, or one made from the content when a client left it out
    sender: str  # the From address, lowercased
    sender_name: str
    recipients: tuple[str, ...]  # To and Cc, lowercased
    subject: str
    references: tuple[str, ...]  # every Message-ID of `References` and `In-Reply-To`, oldest first
    text: str  # everything the mail says, as text
    reply: str  # only what is new in it
    kind: InboundKind
    bounce: Bounce | None = None
    attachments: tuple[Attachment, ...] = field(default=())


def parse(raw: bytes) -> InboundMail:
    """Read one raw RFC 5322 message; malformed parts are read as far as they go, never refused."""
    mail = message_from_bytes(raw, policy=policy.default)
    sender_name, sender = parseaddr(_header(mail, "From"))
    own_id = _message_ids(_header(mail, "Message-ID"))
    text, html = _bodies(mail)
    bounce = _bounce(mail)
    return InboundMail(
        message_id=own_id[0] if own_id else made_message_id(raw),
        sender=sender.lower(),
        sender_name=sender_name,
        recipients=tuple(
            address.lower() for _, address in getaddresses([_header(mail, "To"), _header(mail, "Cc")]) if "@" in address
        ),
        subject=_header(mail, "Subject"),
        references=tuple(
            dict.fromkeys([*_message_ids(_header(mail, "References")), *_message_ids(_header(mail, "In-Reply-To"))])
        ),
        text=text or html_to_text(html),
        reply=reply_text(text, html),
        kind=InboundKind.bounce if bounce else _kind(mail),
        bounce=bounce,
        attachments=() if mail.get_content_type() == "multipart/report" else _attachments(mail),
    )


def made_message_id(raw: bytes) -> str:
    """The id of a mail without a Message-ID (some clients and scripts leave it out), or one that cannot be
    read: the same bytes get the same id."""
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@inbound.invalid>"


def reply_text(text: str, html: str = "") -> str:
    """Only the new part of a reply: quoted history, intro lines and signatures cut. HTML-only mail has its
    quoted blocks found in the HTML, where clients mark them."""
    if not text and html:
        shown = [part for expanded, part in quotequail.quote_html(html[:HTML_PARSED_MAX_CHARS], quote_intro_line=True)
                 if expanded]  # fmt: skip
        text = html_to_text("".join(shown[:1])) or html_to_text(html)
    readable = _readable(text)
    # The first part that says something: a forward's marker line alone says nothing, and what it passes on is
    # what the customer asks; a reply that is all quote is better shown whole than empty.
    said = (_said(reply.body) for reply in _PARSER.read(readable).replies)
    return (next((part for part in said if part), "") or readable.strip()).replace(_CONTINUED, "")


def _said(body: str) -> str:
    """A part of a mail (its signature cut by the reply parser) without the quoted blocks left in it, and without
    a forward's marker line in a language the parsers do not know ("---------- Weitergeleitete Nachricht
    ----------")."""
    parts = quotequail.quote(body, quote_intro_line=True)
    new = parts[0][1] if parts and parts[0][0] else ""
    return "\n".join(line for line in new.splitlines() if not line.strip()[:2] == line.strip()[-2:] == "--").strip()


def _readable(text: str) -> str:
    """What the reply parsers are given: the first `TEXT_PARSED_MAX_CHARS` of the text (what is new in a reply
    is at its top), no line longer than `_LINE_CHARS` (a longer one goes on, marked, on the next line), and
    no two blank lines in a row. Their regular expressions take time far beyond linear on long lines and long
    blank runs; in pieces this size, they are fast."""
    lines: list[str] = []
    for line in text[:TEXT_PARSED_MAX_CHARS].replace("\r\n", "\n").split("\n"):
        if line.strip() or (lines and lines[-1].strip()):
            lines.append(_CONTINUED.join(line[at : at + _LINE_CHARS] for at in range(0, len(line), _LINE_CHARS)))
    return "\n".join(lines)


def without_quoted(reply: str, ours: str) -> str:
    """`reply` without our own message pasted back into it unmarked (some clients quote with no marker at
    all): it ends where a run of lines of our message begins. One pass over the lines, however many."""
    our_lines = {plain for line in ours.splitlines() if (plain := _plain(line))}
    run = min(3, len(our_lines))
    lines = reply.splitlines()
    said = [index for index, line in enumerate(lines) if _plain(line)]  # the lines that say something
    for start in range(len(said) - run + 1 if run else 0):
        if all(_plain(lines[index]) in our_lines for index in said[start : start + run]):
            # The run begins right after the line before it that said something.
            cut = said[start - 1] + 1 if start else 0
            return "\n".join(lines[:cut]).strip() or reply
    return reply


def _plain(line: str) -> str:
    # One pass and one string, however many words: a split into a list of words costs more than linear time in
    # memory traffic on a line of 100,000 of them.
    return _SPACES.sub(" ", line.lstrip("> ")).strip().lower()


def _header(mail: Message, name: str) -> str:
    """A header as text; one the `email` package cannot parse (it raises what a malformed header makes it
    raise: a group address such as `To: a:b:c;;` raises AttributeError) is read as written."""
    try:
        value = mail.get(name)
    except Exception:
        value = next((raw for key, raw in mail.raw_items() if key.lower() == name.lower()), None)
    return " ".join(str(value).replace("\x00", "").split()) if value is not None else ""


def _message_ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value)


def _content(part: Message) -> str:
    """A text part decoded by its declared charset; an unknown or wrong charset falls back to UTF-8 with
    replacement characters rather than losing the part."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeDecodeError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _bodies(mail: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies (either may be empty)."""
    plain = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    # A NUL has no place in text, and PostgreSQL refuses to keep one.
    text, markup = (_content(plain) if plain is not None else ""), (_content(html) if html is not None else "")
    return text.replace("\x00", "").strip(), markup.replace("\x00", "")


def _kind(mail: Message) -> InboundKind:
    auto_submitted = _header(mail, "Auto-Submitted").lower()
    automatic = (
        (auto_submitted and not auto_submitted.startswith("no"))
        or mail.get("X-Autoreply") is not None
        or mail.get("X-Autorespond") is not None
        or _header(mail, "Precedence").lower() in _AUTOMATIC_PRECEDENCE
        or mail.get("List-Id") is not None
        or _header(mail, "Return-Path") == "<>"
        or mail.get_content_type() == "multipart/report"
    )
    return InboundKind.auto_reply if automatic else InboundKind.reply


def _bounce(mail: EmailMessage) -> Bounce | None:
    """A delivery status report (RFC 3464) that says a delivery failed; a delay or a success is no bounce."""
    if mail.get_content_type() != "multipart/report" or mail.get_param("report-type") != "delivery-status":
        return None
    failed, recipient, detail, original = False, "", "", []
    for part in mail.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for block in part.get_payload():
                if not isinstance(block, Message):
                    continue
                fields = {key.lower(): " ".join(str(value).split()) for key, value in block.items()}
                if fields.get("action", "").lower() == "failed":
                    failed = True
                    recipient = fields.get("final-recipient", "").partition(";")[2].strip() or recipient
                    detail = fields.get("diagnostic-code", "").partition(";")[2].strip() or fields.get("status", "")
        elif kind == "message/rfc822":
            copy = part.get_payload()
            if isinstance(copy, list) and copy and isinstance(copy[0], Message):
                original = _message_ids(_header(copy[0], "Message-ID"))
        elif kind == "text/rfc822-headers":
            headers = message_from_bytes(_content(part).encode(), policy=policy.default)
            original = _message_ids(_header(headers, "Message-ID"))
    if not failed:
        return None
    return Bounce(message_ids=tuple(original), recipient=recipient.lower(), detail=detail or "no reason given")


def _attachments(mail: EmailMessage) -> tuple[Attachment, ...]:
    found = []
    for part in mail.iter_attachments():
        payload = part.get_payload(decode=True)
        if part.is_multipart() or not isinstance(payload, bytes):
            continue  # a forwarded message's own parts: its text is already in the body
        filename = (part.get_filename() or "attachment").replace("\x00", "")
        found.append(Attachment(filename=filename, content_type=part.get_content_type(), content=payload))
    return tuple(found)
