"""Replies as the major mail clients write them — where each puts the quoted history, how it introduces it, in
which language, with which parts and charsets — plus the automatic mail that is not a reply at all (an
out-of-office, a bounce). Each answers raw RFC 5322 bytes, as SendGrid Inbound Parse and IMAP hand them over.

The shapes follow what the clients send: Gmail's `gmail_quote` blocks, Outlook's unmarked history under a
`From:/Sent:` header block, Apple Mail's `>` quotes, an HTML-only webmail reply."""

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

QUOTED = "Hi Ada,\n\nInvoice INV-1042 of €1,250.00 is 9 days overdue.\nYou can pay it here: https://pay.example/1042"


@dataclass
class Reply:
    """Who answers whom, in which thread, and what is new; the client decides the rest."""

    new: str
    sender: str = "ada@mail.example"
    sender_name: str = "Ada Lovelace"
    to: str = "reply+token@canalhouse.example"
    subject: str = "Re: Your invoice INV-1042"
    in_reply_to: str = "<original@canalhouse.example>"
    references: list[str] = field(default_factory=list)
    quoted: str = QUOTED
    message_id: str = field(default_factory=lambda: make_msgid(domain="mail.example"))

    def _headers(self) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = formataddr((self.sender_name, self.sender))
        mail["To"] = self.to
        mail["Subject"] = self.subject
        mail["Date"] = "Mon, 30 Nov 2026 09:30:00 +0100"
        mail["Message-ID"] = self.message_id
        mail["In-Reply-To"] = self.in_reply_to
        mail["References"] = " ".join([*self.references, self.in_reply_to])
        return mail


def _quoted_lines(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def _html(text: str) -> str:
    return "<br>".join(text.splitlines())


def gmail(
    reply: Reply, intro: str = "On Mon, 30 Nov 2026 at 09:12, Canal House <ai@canalhouse.example> wrote:"
) -> bytes:
    """Gmail: text and HTML alternatives, the history under an intro line, `>` in text, `gmail_quote` in HTML."""
    mail = reply._headers()
    mail.set_content(f"{reply.new}\n\n{intro}\n\n{_quoted_lines(reply.quoted)}\n")
    mail.add_alternative(
        f'<div dir="ltr">{_html(reply.new)}</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        f'{intro}<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">{_html(reply.quoted)}'
        "</blockquote></div>",
        subtype="html",
    )
    return bytes(mail)


def outlook(reply: Reply, header_block: str, charset: str = "utf-8") -> bytes:
    """Outlook: the history unmarked under a header block in the writer's language (`From:/Sent:`,
    `Von:/Gesendet:`), often in a Windows charset."""
    mail = reply._headers()
    mail["Thread-Index"] = "AdnBfPq1Y2xhbmNlQGNhbmFsaG91c2U="
    mail.set_content(f"{reply.new}\n\n{header_block}\n\n{reply.quoted}\n", charset=charset)
    return bytes(mail)


def apple_mail(reply: Reply, intro: str, signature: str = "") -> bytes:
    """Apple Mail: plain text, the intro line itself quoted, `>` before every line of the history."""
    mail = reply._headers()
    ending = f"\n\n{signature}" if signature else ""
    mail.set_content(f"{reply.new}{ending}\n\n> {intro}\n> \n{_quoted_lines(reply.quoted)}\n")
    return bytes(mail)


def html_only(reply: Reply) -> bytes:
    """A webmail that sends HTML alone, the history in a `blockquote` under its intro line."""
    mail = reply._headers()
    mail.set_content(
        f"<html><body><p>{_html(reply.new)}</p><div>On Monday Canal House wrote:</div>"
        f'<blockquote type="cite">{_html(reply.quoted)}</blockquote></body></html>',
        subtype="html",
    )
    return bytes(mail)


def with_attachment(reply: Reply, filename: str, content: bytes, content_type: str = "application/pdf") -> bytes:
    """A plain reply carrying one file."""
    mail = reply._headers()
    mail.set_content(reply.new)
    maintype, subtype = content_type.split("/")
    mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(mail)


def out_of_office(reply: Reply) -> bytes:
    """An automatic answer as Exchange sends it (RFC 3834's `Auto-Submitted`)."""
    mail = reply._headers()
    mail["Auto-Submitted"] = "auto-replied"
    mail["X-Auto-Response-Suppress"] = "All"
    mail.set_content(reply.new)
    return bytes(mail)


def bounce(original_message_id: str, recipient: str, to: str, diagnostic: str) -> bytes:
    """A delivery status report (RFC 3464) as a recipient's mail server writes it: the delivery failed."""
    report = f"""From: Mail Delivery System <MAILER-DAEMON@mx.mail.example>
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-ID: {make_msgid(domain="mx.mail.example")}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="report"

--report
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.mail.example. Your message could not be delivered.

--report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.mail.example

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; {diagnostic}

--report
Content-Type: text/rfc822-headers

Message-ID: {original_message_id}
From: {to}
To: {recipient}
Subject: Your invoice

--report--
"""
    return report.replace("\n", "\r\n").encode()
